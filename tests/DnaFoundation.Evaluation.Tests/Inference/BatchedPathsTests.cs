using DnaFoundation.Data.Reference;
using DnaFoundation.Evaluation.Attention;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Inference;

/// <summary>
/// Every inference path through the shared runner gives, batched and length-bucketed, what it gives one sequence
/// per forward pass (within 1e-5), in input order: embeddings (each pooling, per-base, multi-window), fine-tuning
/// evaluation (each head), attention maps and variant scores.
/// </summary>
public class BatchedPathsTests
{
    private static readonly InferenceOptions One = new() { BatchSize = 1, SortWindow = 1 };
    private static readonly InferenceOptions Eight = new() { BatchSize = 8, MaxBatchTokens = 400, SortWindow = 64 };

    private static List<(string Id, string Sequence)> Sequences(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(i => ($"s{i}", new string(Enumerable.Range(0, rng.Next(5, 150)).Select(_ => "ACGT"[rng.Next(4)]).ToArray()))).ToList();
    }

    private static void Close(IReadOnlyList<float> a, IReadOnlyList<float> b, double tol = 1e-5)
    {
        Assert.Equal(a.Count, b.Count);
        for (int k = 0; k < a.Count; k++)
            Assert.True(float.IsNaN(a[k]) ? float.IsNaN(b[k]) : Math.Abs(a[k] - b[k]) <= tol, $"entry {k}: {a[k]} vs {b[k]}");
    }

    [Theory]
    [InlineData(Pooling.Mean)]
    [InlineData(Pooling.Max)]
    [InlineData(Pooling.Cls)]
    public void Embeddings_batched_equal_one_at_a_time(Pooling pooling)
    {
        using var model = ToyData.Model(11, ModelHeads.None);
        var inputs = Sequences(13, 1);
        var o = new EmbedOptions(pooling, [0, -1], MaxTokens: 48, OverlapBp: 8, PerBase: pooling == Pooling.Mean);
        var one = new Embedder(model, ToyData.Char, CPU, One).EmbedAll(inputs, o).ToList();
        var batched = new Embedder(model, ToyData.Char, CPU, Eight).EmbedAll(inputs, o).ToList();
        Assert.Equal(inputs.Select(x => x.Id), batched.Select(e => e[0].Id));
        Assert.Contains(batched, e => e[0].Windows > 1);
        for (int i = 0; i < inputs.Count; i++)
            for (int l = 0; l < 2; l++)
            {
                Assert.Equal(one[i][l].Windows, batched[i][l].Windows);
                Close(one[i][l].Vector, batched[i][l].Vector);
                if (o.PerBase) Close(one[i][l].PerBase!, batched[i][l].PerBase!);
            }
    }

    [Theory]
    [InlineData(FineTuneTask.SingleLabel)]
    [InlineData(FineTuneTask.MultiLabel)]
    [InlineData(FineTuneTask.Token)]
    public void Fine_tuning_evaluation_batched_equals_one_at_a_time(FineTuneTask task)
    {
        var rows = ToyData.Motif(21, 2, length: 30).Select((r, i) => r with { Sequence = r.Sequence[..(10 + i)] }).ToList();
        var examples = task switch
        {
            FineTuneTask.SingleLabel => ToyData.Encode(rows),
            FineTuneTask.MultiLabel => FineTuneExamples.Multi(rows.Select(r => new DnaFoundation.Evaluation.Datasets.MultiLabeledSequence(r.Id, r.Sequence, [(byte)r.Label, 1, 0])).ToList(), ToyData.Char, 64),
            _ => FineTuneExamples.Token(rows.Select(r => r.Sequence).ToList(), rows.Select(r => r.Sequence.Select(c => (byte)(c == 'G' ? 1 : 0)).ToArray()).ToList(), ToyData.Char, 64),
        };
        var heads = task == FineTuneTask.Token ? ModelHeads.Token : ModelHeads.Sequence;
        TorchSharp.torch.random.manual_seed(5);
        var config = ToyData.Config(labels: task == FineTuneTask.MultiLabel ? 3 : 2) with { ProblemType = task == FineTuneTask.MultiLabel ? "multi_label_classification" : null };
        using var model = ModelFactory.Create(config, heads);
        var (lossOne, probsOne) = FineTuneEvaluation.Run(new InferenceRunner(model, CPU, One), examples, task);
        var (lossBatched, probsBatched) = FineTuneEvaluation.Run(new InferenceRunner(model, CPU, Eight), examples, task);
        Assert.Equal(lossOne, lossBatched, 5);
        Assert.Equal(probsOne.Length, probsBatched.Length);
        Close(probsOne.Cast<float>().ToArray(), probsBatched.Cast<float>().ToArray());
    }

    [Fact]
    public void Attention_maps_batched_equal_one_at_a_time()
    {
        using var model = ToyData.Model(12, ModelHeads.None);
        var inputs = Sequences(7, 3).Select(x => (x.Id, x.Sequence[..Math.Min(x.Sequence.Length, 40)])).ToList();
        var batched = AttentionResult.ComputeAll(new InferenceRunner(model, CPU, Eight), ToyData.Char, inputs, 30).ToList();
        for (int i = 0; i < inputs.Count; i++)
        {
            var alone = AttentionResult.Compute(model, ToyData.Char, inputs[i].Item1, inputs[i].Item2, 30, CPU);
            Assert.Equal(alone.Tokens, batched[i].Tokens);
            Close(alone.Layers.SelectMany(l => l.SelectMany(h => h.SelectMany(q => q))).ToArray(),
                  batched[i].Layers.SelectMany(l => l.SelectMany(h => h.SelectMany(q => q))).ToArray());
        }
    }

    [Theory]
    [InlineData("char")]
    [InlineData("kmer:3")]
    public void Variant_scores_batched_equal_one_at_a_time(string spec)
    {
        var tok = DnaTokenizers.Load(spec);
        TorchSharp.torch.random.manual_seed(9);
        using var model = ModelFactory.Create(ToyData.Config() with { VocabSize = tok.VocabSize, MaskTokenId = tok.MaskId, PadTokenId = tok.PadId }, ModelHeads.MaskedLm | ModelHeads.Sequence);
        var rng = new Random(4);
        var contig = new string(Enumerable.Range(0, 300).Select(_ => "ACGT"[rng.Next(4)]).ToArray());
        var genome = new InMemoryGenome(new Dictionary<string, string> { ["1"] = contig });
        var vcf = string.Concat(Enumerable.Range(0, 12).Select(i =>
        {
            int pos = 3 + i * 25;   // includes a variant near the contig start (N-padded window)
            char r = contig[pos - 1], a = "ACGT".First(c => c != r);
            return i % 5 == 4 ? $"1\t{pos}\tv{i}\t{r}\t{r}{a}{a}\n" : $"1\t{pos}\tv{i}\t{r}\t{a}\n";
        }));
        var variants = VcfReader.Read(new StringReader(vcf), "t.vcf").Select(new VariantPreparer(genome, 40).Prepare).ToList();
        var all = VariantScores.Llr | VariantScores.Classifier | VariantScores.Embedding;
        var batched = new VariantScorer(model, tok, CPU, inference: Eight).ScoreAll(variants, all).ToList();
        var single = new VariantScorer(model, tok, CPU, inference: One);
        for (int i = 0; i < variants.Count; i++)
        {
            var alone = single.Score(variants[i], all);
            Assert.Same(variants[i], batched[i].Variant);
            Assert.Equal(alone.Status, batched[i].Status);
            Assert.Equal(alone.LlrMethod, batched[i].LlrMethod);
            foreach (var (x, y) in new[] { (alone.Llr, batched[i].Llr), (alone.ClassifierDelta, batched[i].ClassifierDelta), (alone.EmbeddingDistance, batched[i].EmbeddingDistance) })
            {
                Assert.Equal(x is null, y is null);
                if (x is double dx) Assert.Equal(dx, y!.Value, 5);
            }
        }
    }
}
