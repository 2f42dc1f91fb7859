using DnaFoundation.Evaluation.Attention;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Model.Inference;
using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Model.Heads;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Embeddings;

public class EmbedderTests
{
    private static readonly string Seq = string.Concat(Enumerable.Repeat("ACGTTGCAAGGCTTAC", 10)); // 160 bp

    [Fact]
    public void Mean_pooling_in_one_window_is_the_mask_aware_mean_without_special_tokens()
    {
        using var model = ToyData.Model(1);
        var e = new Embedder(model, ToyData.Char, CPU).Embed("s", Seq[..50], new EmbedOptions(Pooling.Mean, MaxTokens: 128)).Single();
        Assert.Equal(1, e.Windows);
        var enc = ToyData.Char.Encode(Seq[..50]);
        using var _ = no_grad();
        var h = model.Run(tensor(enc.Ids.Select(i => (long)i).ToArray(), [1, enc.Length])).LastHiddenState;
        var keep = enc.Ids.Select(i => ToyData.Char.IsSpecial(i) ? 0L : 1L).ToArray();
        var expected = SequenceHead.MeanPool(h, tensor(keep, [1, keep.Length]))[0].data<float>().ToArray();
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], e.Vector[k], 4);
    }

    [Fact]
    public void Long_sequences_slide_overlapping_windows_that_cover_every_base()
    {
        using var model = ToyData.Model(2);
        var embedder = new Embedder(model, ToyData.Char, CPU);
        var windows = embedder.Windows(Seq, 42, 10).ToList();
        int specials = ToyData.Char.Special.Prefix.Length + ToyData.Char.Special.Suffix.Length;
        Assert.All(windows, w => Assert.True(w.Encoding.Length <= 42));
        Assert.Equal(0, windows[0].Start);
        Assert.Equal(42 - specials - 10, windows[1].Start); // each window begins 10 bp before the last one ended
        Assert.Equal(Seq.Length, windows[^1].Start + windows[^1].Encoding.BasesConsumed);

        var o = new EmbedOptions(Pooling.Mean, [0, -1], MaxTokens: 42, OverlapBp: 10, PerBase: true);
        var e = embedder.Embed("long", Seq, o);
        Assert.Equal([0, 2], e.Select(x => x.Layer));
        Assert.Equal(windows.Count, e[1].Windows);
        Assert.Equal(Seq.Length * 32, e[1].PerBase!.Length);
        Assert.All(e[1].PerBase!, v => Assert.True(float.IsFinite(v)));
        var max = embedder.Embed("long", Seq, o with { Pooling = Pooling.Max, PerBase = false })[1].Vector;
        Assert.All(Enumerable.Range(0, 32), k => Assert.True(max[k] >= e[1].Vector[k] - 1e-6));
    }

    [Fact]
    public void Bad_layers_and_overlaps_are_input_errors()
    {
        using var model = ToyData.Model(3);
        var embedder = new Embedder(model, ToyData.Char, CPU);
        Assert.Throws<DnaFoundation.Core.DnaInputException>(() => embedder.Embed("s", Seq, new EmbedOptions(Layers: [5])));
        Assert.Throws<DnaFoundation.Core.DnaInputException>(() => embedder.Embed("s", Seq, new EmbedOptions(MaxTokens: 12, OverlapBp: 50)));
    }

    [Fact]
    public void Similarity_ranks_the_nearest_and_matches_hand_cosines()
    {
        var a = new List<EmbeddingRow>
        {
            new() { Id = "h1", Layer = 2, Embedding = [1, 0] },
            new() { Id = "h2", Layer = 2, Embedding = [0, 1] },
        };
        var b = new List<EmbeddingRow>
        {
            new() { Id = "m1", Layer = 2, Embedding = [1, 1] },
            new() { Id = "m2", Layer = 2, Embedding = [0, 2] },
            new() { Id = "m3", Layer = 1, Embedding = [1, 0] }, // other layer: never compared
        };
        var rows = Similarity.Compute(a, b);
        Assert.Equal(4, rows.Count);
        var h1m1 = rows.Single(r => r.A == "h1" && r.B == "m1");
        Assert.Equal(1 / Math.Sqrt(2), h1m1.Cosine, 12);
        Assert.Equal(1, h1m1.Rank);
        Assert.Equal(1, rows.Single(r => r.A == "h2" && r.B == "m2").Rank);
        Assert.Equal(2, Similarity.Compute(a, null).Count); // self-pairs skipped
    }

    [Fact]
    public void Embeddings_round_trip_through_parquet()
    {
        using var d = new TempDir("emb");
        var rows = new List<EmbeddingRow> { new() { Id = "x", Layer = 1, Pooling = "mean", Length = 5, Windows = 1, Embedding = [0.5f, -1f] } };
        TableWriter.Write(d.File("e.parquet"), rows);
        var back = EmbeddingIo.Read(d.File("e.parquet"));
        Assert.Equal("x", back[0].Id);
        Assert.Equal([0.5f, -1f], back[0].Embedding);
        TableWriter.Write(d.File("e.tsv"), rows);
        Assert.Equal("id\tlayer\tpooling\tlength\twindows\tembedding\nx\t1\tmean\t5\t1\t0.5,-1\n", File.ReadAllText(d.File("e.tsv")));
    }

    [Fact]
    public void Attention_rows_are_distributions_and_heatmaps_are_written_with_labels()
    {
        using var model = ToyData.Model(4);
        var r = AttentionResult.Compute(model, ToyData.Char, "s", "ACGTACGTAA", 64, CPU);
        Assert.Equal(2, r.Layers.Length);
        Assert.Equal(4, r.Layers[0].Length);
        Assert.Equal(r.Tokens.Length, r.Layers[0][0].Length);
        Assert.All(r.Layers.SelectMany(l => l).SelectMany(h => h), row => Assert.Equal(1.0, row.Sum(), 4));
        Assert.Contains("A@0", r.Labels);
        Assert.Contains("A@9", r.Labels);
        using var d = new TempDir("attn");
        var files = r.WriteHeatmaps(d.Path, onlyLayers: [1]);
        Assert.Equal(4, files.Count);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 1000));
        r.WriteJson(d.File("a.json"));
        Assert.Contains("\"offsets\"", File.ReadAllText(d.File("a.json")));
    }
}
