using DnaFoundation.Model.Inference;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>
/// The shared runner against the model run one sequence at a time without padding: every head (MLM, sequence
/// softmax and sigmoid, token), every pooling, gathers and attention maps agree within 1e-5, in input order,
/// however the inputs were bucketed into batches.
/// </summary>
public sealed class InferenceRunnerTests
{
    private static List<TokenSequence> Inputs(int vocab, int n, int seed)
    {
        var rng = new Random(seed);
        // lengths 3..40 in a shuffled order, so bucketing reorders them
        return Enumerable.Range(0, n).Select(_ =>
        {
            int len = rng.Next(3, 41);
            return new TokenSequence(Enumerable.Range(0, len).Select(_ => rng.Next(5, vocab)).ToArray());
        }).ToList();
    }

    private sealed record Row(float[] Softmax, float[] Sigmoid, float[] Tokens, float[] Mlm, float[][] Pooled, float[][] Attention, int[] Top);

    private static Row[] RunAll(DnaModel model, IReadOnlyList<TokenSequence> inputs, InferenceOptions options, Func<TokenSequence, bool[]> keep)
    {
        var runner = new InferenceRunner(model, CPU, options);
        return runner.Run(inputs, s => s, b =>
        {
            var soft = Readouts.Probabilities(b.Output.SequenceLogits!, multiLabel: false);
            var keepMask = Readouts.KeepMask(b.Items.Select(keep).ToList(), b.Tokens.Width, b.Device);
            var pooled = new[] { Pooling.Cls, Pooling.Mean, Pooling.Max }
                .SelectMany(p => b.Output.Encoder.HiddenStates.Select(h => Readouts.Rows(Readouts.Pool(h, keepMask, p)))).ToArray();
            var mlm = Readouts.LogProbabilitiesAt(b.Output.MlmLogits!, Enumerable.Range(0, b.Items.Count).ToArray(), b.Items.Select(s => s.Length - 2).ToArray());
            var attention = b.Output.Encoder.Attentions.Select(a => Readouts.Rows(a)).ToArray();
            var top = Readouts.TopK(soft, 2);
            var sm = Readouts.Rows(soft);
            var sg = Readouts.Rows(Readouts.Probabilities(b.Output.SequenceLogits!, multiLabel: true));
            var tok = Readouts.Rows(b.Output.TokenLogits!.softmax(-1), b.Tokens.Lengths);
            int w = b.Tokens.Width;
            return b.Items.Select((s, i) => new Row(sm[i], sg[i], tok[i], mlm[i], pooled.Select(p => p[i]).ToArray(),
                attention.Select(a => Unpad(a[i], w, s.Length)).ToArray(), top[i])).ToList();
        }, ExtraOutputs.HiddenStates | ExtraOutputs.Attentions).ToArray();
    }

    /// <summary>A row's (heads × W × W) maps cut to its own (heads × T × T).</summary>
    private static float[] Unpad(float[] flat, int w, int t)
    {
        int heads = flat.Length / (w * w);
        var r = new List<float>();
        for (int h = 0; h < heads; h++) for (int q = 0; q < t; q++) r.AddRange(flat.AsSpan((h * w + q) * w, t).ToArray());
        return r.ToArray();
    }

    [Theory]
    [InlineData("bert", "cls")]
    [InlineData("mosaic", "mean")]
    [InlineData("esm", "mean")]
    [InlineData("albert", "cls")]
    public void Batched_results_equal_batch_one_for_every_head_and_pooling(string family, string classifierPooling)
    {
        var config = TinyConfigs.Get(family) with { NumLabels = 3, ClassifierPooling = classifierPooling };
        manual_seed(7);
        using var model = ModelFactory.Create(config, ModelHeads.MultiTask);
        var inputs = Inputs(config.VocabSize, 23, 1);
        Func<TokenSequence, bool[]> keep = s => s.Ids.Select((_, t) => t > 0 && t < s.Length - 1).ToArray(); // "special" first and last
        var one = RunAll(model, inputs, new InferenceOptions { BatchSize = 1, SortWindow = 1 }, keep);
        var batched = RunAll(model, inputs, new InferenceOptions { BatchSize = 8, MaxBatchTokens = 200, SortWindow = 16 }, keep);
        Assert.Equal(inputs.Count, batched.Length);
        for (int i = 0; i < inputs.Count; i++)
        {
            Close(one[i].Softmax, batched[i].Softmax);
            Close(one[i].Sigmoid, batched[i].Sigmoid);
            Close(one[i].Tokens, batched[i].Tokens);
            Close(one[i].Mlm, batched[i].Mlm);
            for (int p = 0; p < one[i].Pooled.Length; p++) Close(one[i].Pooled[p], batched[i].Pooled[p]);
            for (int l = 0; l < one[i].Attention.Length; l++) Close(one[i].Attention[l], batched[i].Attention[l]);
            Assert.Equal(one[i].Top, batched[i].Top);
        }
        // and batch-1 equals the model run alone, without a mask: input order is kept
        model.eval();
        using var _ = no_grad();
        for (int i = 0; i < inputs.Count; i += 5)
        {
            var alone = model.Run(tensor(inputs[i].Ids.Select(x => (long)x).ToArray(), [1, inputs[i].Length])).SequenceLogits!.softmax(-1)[0].data<float>().ToArray();
            Close(alone, batched[i].Softmax);
        }
    }

    private static void Close(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            if (float.IsNegativeInfinity(expected[k])) { Assert.True(float.IsNegativeInfinity(actual[k])); continue; }
            Assert.True(Math.Abs(expected[k] - actual[k]) <= 1e-5, $"entry {k}: {expected[k]} vs {actual[k]}");
        }
    }

    [Fact]
    public void Heads_the_readout_does_not_read_are_not_computed_and_the_others_are_unchanged()
    {
        var config = TinyConfigs.Bert with { NumLabels = 3 };
        manual_seed(5);
        using var model = ModelFactory.Create(config, ModelHeads.MultiTask);
        var inputs = Inputs(config.VocabSize, 9, 4);
        var runner = new InferenceRunner(model, CPU, new InferenceOptions { BatchSize = 4, SortWindow = 9 });
        (bool Mlm, bool Sequence, bool Token, float[] Probabilities) Read(InferenceBatch<TokenSequence> b, int i) =>
            (b.Output.MlmLogits is not null, b.Output.SequenceLogits is not null, b.Output.TokenLogits is not null,
             b.Output.SequenceLogits is { } l ? Readouts.Rows(l.softmax(-1))[i] : []);
        var all = runner.Run(inputs, s => s, b => b.Items.Select((_, i) => Read(b, i)).ToList()).ToList();
        var sequenceOnly = runner.Run(inputs, s => s, b => b.Items.Select((_, i) => Read(b, i)).ToList(), heads: ModelHeads.Sequence).ToList();
        var none = runner.Run(inputs, s => s, b => b.Items.Select((_, i) => Read(b, i)).ToList(), heads: ModelHeads.None).ToList();
        Assert.All(all, r => Assert.True(r.Mlm && r.Sequence && r.Token));                     // null: every head the model has
        Assert.All(sequenceOnly, r => Assert.True(!r.Mlm && r.Sequence && !r.Token));
        Assert.All(none, r => Assert.True(!r.Mlm && !r.Sequence && !r.Token));
        for (int i = 0; i < inputs.Count; i++) Assert.Equal(all[i].Probabilities, sequenceOnly[i].Probabilities);
    }

    [Fact]
    public void Batches_respect_the_row_and_token_budgets_and_group_by_length()
    {
        manual_seed(1);
        using var model = ModelFactory.Create(TinyConfigs.Bert, ModelHeads.None);
        var inputs = Inputs(TinyConfigs.Bert.VocabSize, 50, 2);
        var runner = new InferenceRunner(model, CPU, new InferenceOptions { BatchSize = 6, MaxBatchTokens = 120, SortWindow = 50 });
        var batches = runner.Batches(inputs.Select(s => (s, s)).ToList()).ToList();
        Assert.Equal(Enumerable.Range(0, 50), batches.SelectMany(b => b).Order());
        foreach (var b in batches)
        {
            Assert.InRange(b.Length, 1, 6);
            int widest = b.Max(i => inputs[i].Length);
            Assert.True(b.Length == 1 || b.Length * widest <= 120);
        }
        var widths = batches.Select(b => b.Max(i => inputs[i].Length)).ToList();
        Assert.Equal(widths.OrderByDescending(w => w), widths); // longest first, similar lengths together

        var seen = new List<int>();
        var order = runner.Run(Enumerable.Range(0, 50), i => inputs[i], b => { seen.Add(b.Items.Count); return b.Items; }).ToList();
        Assert.Equal(Enumerable.Range(0, 50), order); // handed back in input order
        Assert.Equal(batches.Select(b => b.Length), seen);
    }

    [Fact]
    public void The_collator_pads_with_the_pad_id_and_masks_padding()
    {
        var batch = BatchCollator.Collate([new TokenSequence([5, 6, 7]), new TokenSequence([8], [1]), new TokenSequence([9, 10], [1, 0])], padId: 1, CPU);
        Assert.Equal([3, 1, 2], batch.Lengths);
        Assert.Equal(new long[] { 5, 6, 7, 8, 1, 1, 9, 10, 1 }, batch.InputIds.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0, 1, 0, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(5, BatchCollator.Collate([new TokenSequence([5, 6])], 0, CPU, padTo: 5).Width);
    }

    [Fact]
    public void The_collator_says_on_the_host_whether_a_batch_is_padded_and_gives_a_mask_only_then()
    {
        var even = BatchCollator.Collate([new TokenSequence([5, 6]), new TokenSequence([7, 8], [1, 1])], padId: 1, CPU);
        Assert.False(even.Padded);
        Assert.Null(even.MaskIfPadded);
        Assert.True(BatchCollator.Collate([new TokenSequence([5, 6]), new TokenSequence([7])], padId: 1, CPU).Padded);
        Assert.True(BatchCollator.Collate([new TokenSequence([5, 6]), new TokenSequence([7, 8], [1, 0])], padId: 1, CPU).Padded);
        var widened = BatchCollator.Collate([new TokenSequence([5, 6])], 0, CPU, padTo: 4);
        Assert.True(widened.Padded);
        Assert.Same(widened.AttentionMask, widened.MaskIfPadded);
    }

    [Fact]
    public void Eval_mode_and_no_grad_do_not_leak_into_the_caller_between_results()
    {
        manual_seed(3);
        using var model = ModelFactory.Create(TinyConfigs.Bert with { NumLabels = 2 }, ModelHeads.Sequence);
        model.train();
        var runner = new InferenceRunner(model, CPU, new InferenceOptions { BatchSize = 2, SortWindow = 2 });
        var inputs = Inputs(TinyConfigs.Bert.VocabSize, 6, 3);
        foreach (var _ in runner.Run(inputs, s => s, b => b.Items))
        {
            Assert.True(model.training);
            Assert.True(is_grad_enabled());
        }
    }
}
