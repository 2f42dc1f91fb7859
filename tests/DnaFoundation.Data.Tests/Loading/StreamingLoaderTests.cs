using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Loading;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Tests.Shards;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Tests.Loading;

public sealed class StreamingLoaderTests : IDisposable
{
    private readonly TempDir dir = new("loader");
    private readonly string shards;

    public StreamingLoaderTests()
    {
        var m = ShardFixture.Manifest(dir);
        shards = dir.File("out");
        new ShardBuilder(m, new ShardBuildOptions(shards, ShardFixture.Window, Tokenizer: "nt6", RowsPerShard: 600, Seed: 1,
            Splits: [DataSplit.Train], MaxRowsPerSplit: 1500)).RunAsync().GetAwaiter().GetResult();
    }

    public void Dispose() => dir.Dispose();

    private static string Fingerprint(Batch b) =>
        string.Join(",", b.InputIds) + "|" + string.Join("", b.AttentionMask) + "|" + string.Join("", b.SoftMask) + "|" +
        string.Join(";", b.Segments.Select(s => $"{s.Row}:{s.Offset}:{s.Length}:{s.Contig}:{s.Start}:{s.Strand}"));

    private static List<string> Take(StreamingLoader loader, int n)
    {
        var result = new List<string>();
        for (int i = 0; i < n; i++) result.Add(Fingerprint(loader.Next()!));
        return result;
    }

    [Theory]
    [InlineData(false, 7)]
    [InlineData(false, 100)]   // after the first epoch ended
    [InlineData(true, 5)]
    [InlineData(true, 13)]
    [InlineData(true, 70)]
    public void Resuming_from_saved_state_replays_exactly_the_uninterrupted_batches(bool pack, int interruptAt)
    {
        var o = new LoaderOptions(BatchSize: 16, MaxTokens: pack ? 50 : 64, Pack: pack, Seed: 9, ShuffleChunks: 2, ReadAhead: 3);
        int n = pack ? 90 : 120;   // more rows than the 1,500 of the shards: the run crosses into a second epoch
        List<string> uninterrupted;
        using (var a = StreamingLoader.FromShards(shards, DataSplit.Train, o))
        {
            uninterrupted = Take(a, n);
            Assert.True(a.State.Epoch >= 1, $"epoch {a.State.Epoch}: the run must cross an epoch boundary");
        }
        Assert.True(uninterrupted.Distinct().Count() == n, "batches differ from one another");

        List<string> resumed;
        string saved;
        using (var b = StreamingLoader.FromShards(shards, DataSplit.Train, o))
        {
            resumed = Take(b, interruptAt);
            saved = b.State.ToJson();   // what a checkpoint stores
        }
        using (var c = StreamingLoader.FromShards(shards, DataSplit.Train, o, resume: LoaderState.FromJson(saved)))
            resumed.AddRange(Take(c, n - interruptAt));
        Assert.Equal(uninterrupted, resumed);
    }

    [Fact]
    public void Padded_batches_are_multiples_of_8_with_masks_matching_lengths()
    {
        var o = new LoaderOptions(BatchSize: 8, MaxTokens: 30, Seed: 2);
        using var loader = StreamingLoader.FromShards(shards, DataSplit.Train, o);
        var pad = DnaTokenizers.Load("nt6").PadId;
        for (int i = 0; i < 10; i++)
        {
            var b = loader.Next()!;
            Assert.Equal(0, b.Length % 8);
            Assert.Equal(b.Size * b.Length, b.InputIds.Length);
            for (int r = 0; r < b.Size; r++)
            {
                Assert.InRange(b.Lengths[r], 1, 30);
                for (int t = 0; t < b.Length; t++)
                {
                    Assert.Equal(t < b.Lengths[r] ? 1 : 0, b.AttentionMask[r * b.Length + t]);
                    if (t >= b.Lengths[r]) Assert.Equal(pad, b.InputIds[r * b.Length + t]);
                }
            }
        }
    }

    [Fact]
    public void Packed_batches_have_no_padding_and_segment_ids_restart_per_sequence()
    {
        var o = new LoaderOptions(BatchSize: 4, MaxTokens: 100, Pack: true, Seed: 2);
        using var loader = StreamingLoader.FromShards(shards, DataSplit.Train, o);
        var b = loader.Next()!;
        Assert.All(b.AttentionMask, m => Assert.Equal(1, m));
        Assert.Equal(Enumerable.Repeat(100, 4), b.Lengths);
        Assert.Equal(400, b.Segments.Sum(s => s.Length));
        Assert.True(b.Segments.Count > 4);
        Assert.Equal(0, b.SegmentIds![0]);
    }

    [Fact]
    public void Ranks_read_disjoint_deterministic_parts()
    {
        HashSet<string> Rows(int rank)
        {
            var o = new LoaderOptions(BatchSize: 10, MaxTokens: 64, Seed: 4, Rank: rank, WorldSize: 2, Epochs: 1, ShuffleChunks: 1);
            using var loader = StreamingLoader.FromShards(shards, DataSplit.Train, o);
            var set = new HashSet<string>();
            while (loader.Next() is { } b)
                foreach (var s in b.Segments) Assert.True(set.Add($"{s.Species}:{s.Contig}:{s.Start}:{s.Strand}"));
            return set;
        }
        var r0 = Rows(0);
        var r1 = Rows(1);
        Assert.Empty(r0.Intersect(r1));
        Assert.Equal(r0, Rows(0));
        Assert.True(r0.Count >= 300 && r1.Count >= 300 && r0.Count + r1.Count >= 900);   // row groups 600, 600, 300: one each, the third rotates by epoch
    }

    [Fact]
    public void Fasta_sampling_needs_no_shards_and_resumes_exactly()
    {
        var m = ShardFixture.Manifest(dir);
        var nt6 = DnaTokenizers.Load("nt6");
        var o = new LoaderOptions(BatchSize: 8, MaxTokens: 40, Seed: 3, ReverseComplement: true);
        List<string> all;
        using (var a = StreamingLoader.FromManifest(m, DataSplit.Train, ShardFixture.Window, nt6, o)) all = Take(a, 6);
        string saved;
        var resumed = new List<string>();
        using (var b = StreamingLoader.FromManifest(m, DataSplit.Train, ShardFixture.Window, nt6, o))
        {
            resumed.AddRange(Take(b, 2));
            saved = b.State.ToJson();
        }
        using (var c = StreamingLoader.FromManifest(m, DataSplit.Train, ShardFixture.Window, nt6, o, LoaderState.FromJson(saved)))
            resumed.AddRange(Take(c, 4));
        Assert.Equal(all, resumed);
        Assert.Contains("|", all[0]);
    }

    [Fact]
    public async Task A_base_the_tokenizer_rejects_in_a_sequence_shard_is_an_input_error_naming_the_window()
    {
        // Sequence shards keep the FASTA's letters; 'U' is IUPAC, so it is only refused when the loader tokenizes.
        File.WriteAllText(dir.File("rna.fa"), ">r1\n" + new string('A', 45) + "U" + new string('C', 34) + "\n");
        File.WriteAllText(dir.File("rna.json"), """{ "name": "t", "species": [ { "name": "x", "assembly": "x", "fasta": "rna.fa" } ] }""");
        await new ShardBuilder(GenomeManifest.Load(dir.File("rna.json")), new ShardBuildOptions(dir.File("rna"), new Data.Windows.WindowOptions(Length: 20), Splits: [DataSplit.Train]))
            .RunAsync();
        using var loader = StreamingLoader.FromShards(dir.File("rna"), DataSplit.Train, new LoaderOptions(BatchSize: 2, Seed: 1), DnaTokenizers.Load("nt6"));
        var e = Assert.Throws<Core.DnaInputException>(() => { while (loader.Next() is not null) { } });
        Assert.Contains("sequence 'r1:41-60' position 6: 'U' is not a DNA base", e.Message);
    }

    [Fact]
    public void A_state_from_another_rank_is_refused()
    {
        var o = new LoaderOptions(Seed: 1);
        var state = LoaderState.Start(1, 1, 2);
        Assert.Throws<Core.DnaInputException>(() => StreamingLoader.FromShards(shards, DataSplit.Train, o, resume: state));
    }

    /// <summary>A damaged or foreign state is refused when the loader is made (where the checkpoint is still named), not on its thread (fuzz input loader-state/crash-01).</summary>
    [Fact]
    public void A_state_past_its_window_or_negative_is_refused_at_once()
    {
        var o = new LoaderOptions(Seed: 1);
        var past = Assert.Throws<Core.DnaInputException>(() => StreamingLoader.FromShards(shards, DataSplit.Train, o, resume: LoaderState.Start(1, 0, 1) with { Row = 100_000 }));
        Assert.Matches(@"row 100000 of shuffle window 0 of epoch 0, which holds \d+ rows", past.Message);
        Assert.Throws<Core.DnaInputException>(() => StreamingLoader.FromShards(shards, DataSplit.Train, o, resume: LoaderState.Start(1, 0, 1) with { TokenOffset = -1 }));
        // the end of a window is a place a loader can stop at: it resumes in the next one
        using var atEnd = StreamingLoader.FromShards(shards, DataSplit.Train, o, resume: LoaderState.Start(1, 0, 1) with { Row = 1 });
        Assert.NotNull(atEnd.Next());
    }
}
