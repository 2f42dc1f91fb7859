using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using DnaFoundation.Model.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>Runs alone: it switches libtorch's math (materialising) attention backend off for the whole process.</summary>
[CollectionDefinition(nameof(SdpBackendCollection), DisableParallelization = true)]
public sealed class SdpBackendCollection;

/// <summary>
/// The fast path really runs a fused attention kernel, and the ALiBi bias is a cached constant. With libtorch's
/// math backend disabled, scaled_dot_product_attention either takes the fused (flash) kernel or throws "No available
/// kernel": so a training step that completes never built the (B, heads, T, T) probabilities.
/// </summary>
[Collection(nameof(SdpBackendCollection))]
public sealed class AttentionFastPathTests
{
    [Fact]
    public void Training_step_with_alibi_and_padding_uses_the_fused_kernel()
    {
        var config = TinyConfigs.MosaicBert;
        using var model = ModelFactory.Create(config, ModelHeads.MaskedLm);
        model.train();
        var (ids, mask) = EncoderTests.Batch(config.VocabSize, config.PadTokenId ?? 0);
        var shorter = ids.narrow(1, 0, 5);
        using var _ = new MathAttentionOff();

        // The switch is effective on this backend: a mask that requires grad has no fused kernel and must throw.
        var q = randn(1, 2, 4, 8);
        var ex = Assert.ThrowsAny<Exception>(() => nn.functional.scaled_dot_product_attention(q, q, q, zeros(1, 2, 4, 4).requires_grad_()));
        Assert.Contains("No available kernel", ex.Message);

        // Full length with padding (bias = padding + ALiBi), then a shorter length without padding (a strided view
        // of the cached table): forward and backward both complete without the math backend.
        foreach (var (input, m) in new[] { (ids, mask), (shorter, (Tensor?)null) })
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            var loss = Losses.CrossEntropy(model.forward(input, m).MlmLogits!, input);
            loss.backward();
            Assert.True(loss.isfinite().item<bool>());
        }
    }

    [Fact]
    public void Alibi_bias_is_built_once_per_length_and_needs_no_grad()
    {
        var config = TinyConfigs.MosaicBert;
        using var model = ModelFactory.Create(config, ModelHeads.MaskedLm);
        model.train();
        var (ids, mask) = EncoderTests.Batch(config.VocabSize, config.PadTokenId ?? 0);
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            model.forward(ids, mask).MlmLogits!.sum().backward();
        }
        Assert.Equal(1, model.Encoder.AlibiBuilds);
        using (var scope = NewDisposeScope())
            _ = model.forward(ids.narrow(1, 0, 4), null);                    // shorter: a view of the same table
        Assert.Equal(1, model.Encoder.AlibiBuilds);
        using (var scope = NewDisposeScope())
            _ = model.forward(cat([ids, ids], 1), null);                     // longer: one new table
        Assert.Equal(2, model.Encoder.AlibiBuilds);

        // The cached table is a constant: no grad, and its entries are -slope_h * |i - j| (computed by hand here).
        using var cache = new AlibiCache(4);
        _ = cache.Get(8, ScalarType.Float32, CPU);
        var view = cache.Get(3, ScalarType.Float32, CPU);
        Assert.False(view.requires_grad);
        Assert.Equal([1L, 4, 3, 3], view.shape);
        double[] slopes = [0.25, 0.0625, 0.015625, 0.00390625];         // 2^(-8/4·(h+1)) for 4 heads
        for (int h = 0; h < 4; h++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    Assert.Equal(-slopes[h] * Math.Abs(i - j), view[0, h, i, j].item<float>(), 6);
    }

    /// <summary>Turns the math attention backend off and back on; the flag is process-wide in libtorch.</summary>
    private sealed class MathAttentionOff : IDisposable
    {
        public MathAttentionOff() => torch.backends.cuda.enable_math_sdp(false);

        public void Dispose() => torch.backends.cuda.enable_math_sdp(true);
    }
}
