using DnaFoundation.Model;
using DnaFoundation.Model.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

public sealed class EncoderTests
{
    internal static (Tensor Ids, Tensor Mask) Batch(int vocab, int pad, long seed = 1)
    {
        var gen = new Generator((ulong)seed);
        var ids = randint(5, vocab, [3, 9], generator: gen, dtype: ScalarType.Int64);
        var mask = ones(3, 9, dtype: ScalarType.Int64);
        // Row 1 has 6 tokens, row 2 has 4: the rest is padding.
        mask[1, TensorIndex.Slice(6)] = 0;
        mask[2, TensorIndex.Slice(4)] = 0;
        ids = ids.masked_fill(mask.eq(0), pad);
        return (ids, mask);
    }

    [Theory]
    [MemberData(nameof(TinyConfigs.All), MemberType = typeof(TinyConfigs))]
    public void Forward_gives_hidden_states_and_every_head(string family)
    {
        var config = TinyConfigs.Get(family) with { NumRegionLabels = 3, NumChromatinLabels = 5 };
        using var model = ModelFactory.Create(config, ModelHeads.MultiTask);
        model.eval();
        var (ids, mask) = Batch(config.VocabSize, config.PadTokenId ?? 0);
        using var _ = no_grad();
        var output = model.forward(ids, mask);
        Assert.Equal([3L, 9, config.HiddenSize], output.LastHiddenState.shape);
        Assert.Equal([3L, 9, config.VocabSize], output.MlmLogits!.shape);
        Assert.Equal([3L, 5], output.SequenceLogits!.shape);
        Assert.Equal([3L, 9, 3], output.TokenLogits!.shape);
        Assert.True(output.LastHiddenState.isfinite().all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(TinyConfigs.All), MemberType = typeof(TinyConfigs))]
    public void Eager_attention_matches_the_fast_path_and_exports_probabilities(string family)
    {
        var config = TinyConfigs.Get(family);
        using var model = ModelFactory.Create(config, ModelHeads.MaskedLm);
        model.eval();
        var (ids, mask) = Batch(config.VocabSize, config.PadTokenId ?? 0);
        using var _ = no_grad();
        var fast = model.Run(ids, mask);
        var eager = model.Run(ids, mask, outputAttentions: true);
        Assert.Empty(fast.Encoder.Attentions);
        Assert.Equal(config.NumHiddenLayers, eager.Encoder.Attentions.Count);
        Assert.True(fast.LastHiddenState.allclose(eager.LastHiddenState, rtol: 1e-5, atol: 1e-5));
        Assert.True(fast.MlmLogits!.allclose(eager.MlmLogits!, rtol: 1e-5, atol: 1e-5));
        foreach (var p in eager.Encoder.Attentions)
        {
            Assert.Equal([3L, config.NumAttentionHeads, 9, 9], p.shape);
            Assert.True(p.sum(-1).allclose(ones_like(p.sum(-1)), atol: 1e-5));
            // Row 2 has 4 real tokens: nothing attends to its padding.
            Assert.Equal(0.0, p[2, TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(4)].abs().max().item<float>(), 6);
        }
    }

    [Theory]
    [MemberData(nameof(TinyConfigs.All), MemberType = typeof(TinyConfigs))]
    public void Padding_does_not_change_the_real_tokens(string family)
    {
        var config = TinyConfigs.Get(family);
        using var model = ModelFactory.Create(config, ModelHeads.None);
        model.eval();
        var (ids, mask) = Batch(config.VocabSize, config.PadTokenId ?? 0);
        using var _ = no_grad();
        var batched = model.forward(ids, mask).LastHiddenState;
        var alone = model.forward(ids[2, TensorIndex.Slice(0, 4)].unsqueeze(0), null).LastHiddenState;
        Assert.True(batched[2, TensorIndex.Slice(0, 4)].allclose(alone[0], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Alibi_slopes_follow_the_paper()
    {
        Assert.Equal(Enumerable.Range(1, 8).Select(i => Math.Pow(2, -i)), AlibiBias.HeadSlopes(8), new ToleranceComparer(1e-12));
        // 12 heads: the 8-head slopes, then every other slope of the 16-head sequence.
        var twelve = AlibiBias.HeadSlopes(12);
        Assert.Equal(12, twelve.Length);
        Assert.Equal(Math.Pow(2, -0.5), twelve[8], 12);
        Assert.Equal(Math.Pow(2, -3.5), twelve[11], 12);
        using var bias = AlibiBias.Build(2, 4, ScalarType.Float32, CPU);
        Assert.Equal([1L, 2, 4, 4], bias.shape);
        Assert.Equal(-3 / 16.0, bias[0, 0, 0, 3].item<float>(), 6);   // 2 heads: slopes 2^-4, 2^-8; distance 3
        Assert.Equal(bias[0, 1, 3, 0].item<float>(), bias[0, 1, 0, 3].item<float>());
    }

    [Fact]
    public void Albert_groups_share_weights_across_layers()
    {
        var shared = TinyConfigs.Albert with { NumHiddenLayers = 4, NumHiddenGroups = 1 };
        var separate = TinyConfigs.Albert with { NumHiddenLayers = 4, NumHiddenGroups = 4 };
        long layerParams = ModelSummary.ParameterCount(separate, ModelHeads.None) - ModelSummary.ParameterCount(shared, ModelHeads.None);
        Assert.True(layerParams > 0);
        Assert.Equal(3 * (layerParams / 3), layerParams);           // exactly three layers' worth saved
        using var model = ModelFactory.Create(shared, ModelHeads.None);
        Assert.Single(model.named_parameters(), p => p.name.EndsWith("attention.qkv.weight", StringComparison.Ordinal));
        var (ids, mask) = Batch(shared.VocabSize, 0);
        using var _ = no_grad();
        var output = model.Run(ids, mask, outputHiddenStates: true);
        Assert.Equal(5, output.Encoder.HiddenStates.Count);         // embeddings + 4 applications of the one layer
    }

    [Fact]
    public void Encoder_runs_in_bfloat16()
    {
        using var model = ModelFactory.Create(TinyConfigs.MosaicBert, ModelHeads.MaskedLm);
        model.to(ScalarType.BFloat16);
        var (ids, mask) = Batch(TinyConfigs.MosaicBert.VocabSize, 0);
        using var _ = no_grad();
        var output = model.forward(ids, mask);
        Assert.Equal(ScalarType.BFloat16, output.LastHiddenState.dtype);
        Assert.True(output.MlmLogits!.isfinite().all().item<bool>());
    }

    [Fact]
    public void Bfloat16_model_can_keep_norms_and_attention_in_float32()
    {
        var config = TinyConfigs.Esm;
        using var model = ModelFactory.Create(config, ModelHeads.MaskedLm);
        model.eval();
        var (ids, mask) = Batch(config.VocabSize, config.PadTokenId ?? 0);
        using var _ = no_grad();
        var reference = model.forward(ids, mask).LastHiddenState.clone();
        model.to(ScalarType.BFloat16);
        foreach (var norm in model.modules().OfType<Norm>()) norm.to(ScalarType.Float32);   // fp32 norm parameters
        Assert.All(model.modules().OfType<Norm>(), n => Assert.Equal(ScalarType.Float32, n.Weight.dtype));
        model.Numerics.NormsInFloat32 = true;
        model.Numerics.AttentionInFloat32 = true;
        var eager = model.Run(ids, mask, outputAttentions: true);
        var fast = model.forward(ids, mask).LastHiddenState;
        Assert.Equal(ScalarType.BFloat16, fast.dtype);
        Assert.Equal(ScalarType.Float32, eager.Encoder.Attentions[0].dtype);
        var keep = mask.to(ScalarType.Bool).unsqueeze(-1).expand_as(reference);
        var err = (fast.to(ScalarType.Float32) - reference).abs().masked_select(keep).max().item<float>();
        Assert.True(err < 0.1, $"bf16 with fp32 islands is {err} from fp32");
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
