using DnaFoundation.Training.Masking;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests;

public class MlmMaskerTests
{
    // A DNABERT-like vocabulary: 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 [MASK], then ordinary tokens 5..68.
    private const int Vocab = 69, Pad = 0, Cls = 2, Sep = 3, Mask = 4;
    private static readonly int[] Specials = [0, 1, 2, 3, 4];

    private static Tensor Batch(int rows, int len, int padFrom, long seed)
    {
        var g = new Generator((ulong)seed);
        var ids = randint(5, Vocab, [rows, len], generator: g);
        ids[TensorIndex.Colon, 0] = tensor((long)Cls);
        ids[TensorIndex.Colon, padFrom - 1] = tensor((long)Sep);
        ids[TensorIndex.Colon, TensorIndex.Slice(padFrom)] = tensor((long)Pad);
        return ids;
    }

    [Fact]
    public void Token_masking_hits_the_rate_and_the_80_10_10_split_and_never_touches_special_tokens()
    {
        using var masker = new MlmMasker(new MaskingConfig(), Vocab, Mask, Specials, tokenizerSpan: 1, seed: 7);
        var ids = Batch(64, 512, padFrom: 400, seed: 1);
        var m = masker.Apply(ids);
        var masked = m.Labels.ne(MaskedBatch.IgnoreIndex);
        var ordinary = ids.ge(5);
        long nOrdinary = ordinary.sum().item<long>();
        long nMasked = masked.sum().item<long>();

        Assert.Equal(0, masked.logical_and(ordinary.logical_not()).sum().item<long>());      // never special/pad
        Assert.True(ids.masked_select(ordinary.logical_not()).equal(m.InputIds.masked_select(ordinary.logical_not())).all().item<bool>());
        Assert.InRange(nMasked / (double)nOrdinary, 0.14, 0.16);
        Assert.True(m.Labels.masked_select(masked).equal(ids.masked_select(masked)).all().item<bool>());

        var inputsAtMasked = m.InputIds.masked_select(masked);
        double toMask = inputsAtMasked.eq(Mask).sum().item<long>() / (double)nMasked;
        double kept = inputsAtMasked.eq(ids.masked_select(masked)).sum().item<long>() / (double)nMasked;
        Assert.InRange(toMask, 0.78, 0.82);
        Assert.InRange(kept, 0.09, 0.115);   // 10% unchanged plus random draws that hit the original (1/64 of 10%)
        Assert.Equal(0, inputsAtMasked.lt(5).logical_and(inputsAtMasked.ne(Mask)).sum().item<long>()); // random ids are never special
        Assert.True(m.LossWeights.eq(masked.to(ScalarType.Float32)).all().item<bool>());
    }

    [Theory]
    [InlineData(3, new[] { -1, 0, 1 })]
    [InlineData(4, new[] { -1, 0, 1, 2 })]
    [InlineData(5, new[] { -2, -1, 0, 1, 2 })]
    [InlineData(6, new[] { -2, -1, 0, 1, 2, 3 })]
    public void Span_offsets_are_DNABERTs_mask_list_plus_the_centre(int k, int[] expected) =>
        // DNABERT examples/run_pretrain.py: MASK_LIST = {"3": [-1, 1], "4": [-1, 1, 2], "5": [-2, -1, 1, 2], "6": [-2, -1, 1, 2, 3]}
        Assert.Equal(expected, MlmMasker.SpanOffsets(k));

    [Fact]
    public void Kmer_span_masking_masks_whole_runs_of_k_tokens_so_no_overlapping_neighbour_reveals_a_base()
    {
        var config = new MaskingConfig { Strategy = MaskingStrategy.KmerSpan };
        using var masker = new MlmMasker(config, Vocab, Mask, Specials, tokenizerSpan: 6, seed: 3);
        Assert.Equal(6, masker.Span);
        var ids = Batch(32, 510, padFrom: 510, seed: 2);
        var m = masker.Apply(ids);
        var masked = m.Labels.ne(MaskedBatch.IgnoreIndex);
        var rows = masked.to(ScalarType.Int32).data<int>().ToArray();
        int runs = 0;
        for (int r = 0; r < 32; r++)
        {
            int start = -1;
            for (int t = 0; t <= 510; t++)
            {
                bool on = t < 510 && rows[r * 510 + t] == 1;
                if (on && start < 0) start = t;
                if (!on && start >= 0)
                {
                    bool clipped = start <= 1 || t >= 509; // runs cut by [CLS]/[SEP] at the edges
                    if (!clipped) Assert.True(t - start >= 6, $"row {r}: masked run [{start}, {t}) is shorter than k");
                    runs++;
                    start = -1;
                }
            }
        }
        Assert.True(runs > 100);
        double rate = masked.sum().item<long>() / (32.0 * 508);
        Assert.InRange(rate, 0.12, 0.16); // 1 - (1 - 0.15/6)^6 ≈ 0.141
        Assert.Equal(0, masked.index(TensorIndex.Colon, TensorIndex.Tensor(tensor(new long[] { 0, 509 }))).sum().item<long>());
    }

    [Fact]
    public void Soft_masked_tokens_get_the_reduced_loss_weight()
    {
        using var masker = new MlmMasker(new MaskingConfig { SoftMaskedWeight = 0.1, MlmProbability = 0.5 }, Vocab, Mask, Specials, 1, seed: 5);
        var ids = Batch(8, 100, padFrom: 100, seed: 4);
        var soft = arange(100).ge(50).unsqueeze(0).expand(8, 100);
        var m = masker.Apply(ids, soft);
        var masked = m.Labels.ne(MaskedBatch.IgnoreIndex);
        Assert.True(m.LossWeights.masked_select(masked.logical_and(soft)).eq(0.1f).all().item<bool>());
        Assert.True(m.LossWeights.masked_select(masked.logical_and(soft.logical_not())).eq(1f).all().item<bool>());
        Assert.True(m.LossWeights.masked_select(masked.logical_not()).eq(0f).all().item<bool>());
    }

    [Fact]
    public void Restoring_the_generator_state_replays_the_same_masks()
    {
        using var a = new MlmMasker(new MaskingConfig(), Vocab, Mask, Specials, 1, seed: 11);
        using var b = new MlmMasker(new MaskingConfig(), Vocab, Mask, Specials, 1, seed: 999);
        var ids = Batch(4, 64, 64, seed: 9);
        a.Apply(ids);
        b.SetState(a.GetState());
        var x = a.Apply(ids);
        var y = b.Apply(ids);
        Assert.True(x.InputIds.equal(y.InputIds).all().item<bool>());
        Assert.True(x.Labels.equal(y.Labels).all().item<bool>());
        var z = a.Apply(ids);
        Assert.False(z.Labels.equal(x.Labels).all().item<bool>());
    }
}
