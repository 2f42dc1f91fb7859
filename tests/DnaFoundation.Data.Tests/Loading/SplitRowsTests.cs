using System.Text;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Loading;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Tests.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Tests.Loading;

/// <summary>
/// Rows of exactly MaxTokens tokens (<see cref="LoaderOptions.SplitRows"/>, the pretraining trainer's packed rows):
/// cut in order from each sequence's own tokens, each in the tokenizer's frame, no padding, resumable mid-sequence;
/// sampled straight from FASTA as the first tokens read from a start (<see cref="PackedRow"/>); and padded rows cut at
/// MaxTokens keep their closing special token and are counted.
/// </summary>
public sealed class SplitRowsTests : IDisposable
{
    private readonly TempDir dir = new("split-rows");
    private readonly GenomeManifest manifest;
    private readonly string sequenceShards;
    private static readonly DnaTokenizer Kmer6 = DnaTokenizers.Load("kmer:6");

    public SplitRowsTests()
    {
        manifest = ShardFixture.Manifest(dir);
        // Sequence shards of 200-bp windows: 195 6-mers each, framed [CLS] … [SEP] by the loader's tokenizer.
        sequenceShards = dir.File("seq");
        new ShardBuilder(manifest, new ShardBuildOptions(sequenceShards, ShardFixture.Window, RowsPerShard: 300, Seed: 1,
            Splits: [DataSplit.Train], MaxRowsPerSplit: 600)).RunAsync().GetAwaiter().GetResult();
    }

    public void Dispose() => dir.Dispose();

    private static string Fingerprint(Batch b) =>
        string.Join(",", b.InputIds) + "|" + string.Join("", b.AttentionMask) + "|" + string.Join("", b.SoftMask) + "|" +
        string.Join(";", b.Segments.Select(s => $"{s.Row}:{s.Contig}:{s.Start}:{s.End}:{s.Strand}"));

    [Fact]
    public void Each_sequence_is_cut_in_order_into_rows_of_max_tokens_in_the_frame_and_its_last_partial_row_is_dropped()
    {
        var o = new LoaderOptions(BatchSize: 8, MaxTokens: 50, Seed: 5, ShuffleChunks: 1, SplitRows: true);
        // The rows the loader reads first, in its order (a pure function of seed, epoch and window).
        var source = new ShardRowSource(sequenceShards, DataSplit.Train, o).ReadWindow(0, 0);
        using var loader = StreamingLoader.FromShards(sequenceShards, DataSplit.Train, o, Kmer6);
        var rows = new List<long[]>();
        for (int i = 0; i < 3; i++)
        {
            var b = loader.Next()!;
            Assert.Equal((8, 50), (b.Size, b.Length));
            Assert.All(b.AttentionMask, m => Assert.Equal(1, m));
            Assert.Equal(Enumerable.Repeat(50, 8), b.Lengths);
            Assert.Null(b.SegmentIds);                       // one sequence per row: nothing to keep apart
            Assert.Equal(0, b.TruncatedRows);
            for (int r = 0; r < 8; r++) rows.Add(b.InputIds[(r * 50)..((r + 1) * 50)]);
        }
        // 195 6-mers per window: rows of 48 (+ [CLS], [SEP]) take tokens 0-47, 48-95, 96-143, 144-191; 192-194 are dropped.
        for (int w = 0; w < 6; w++)
        {
            var content = Kmer6.Encode(source[w].Sequence!).Ids[1..^1];
            Assert.Equal(195, content.Length);
            for (int k = 0; k < 4; k++)
            {
                long[] expected = [Kmer6.Special.Cls!.Value, .. content[(48 * k)..(48 * k + 48)].Select(i => (long)i), Kmer6.Special.Sep!.Value];
                Assert.Equal(expected, rows[4 * w + k]);
            }
        }
    }

    [Theory]
    [InlineData(3)]      // mid-sequence: rows 1-3 of the fourth window are still to come
    [InlineData(4)]      // at a sequence boundary
    [InlineData(160)]    // in the second epoch (600 windows × 4 rows = 300 batches of 8 per epoch)
    public void Split_rows_resume_exactly_from_the_saved_state_mid_sequence_and_across_an_epoch(int interruptAt)
    {
        var o = new LoaderOptions(BatchSize: 13, MaxTokens: 50, Seed: 9, ShuffleChunks: 2, ReadAhead: 3, ReverseComplement: true, SplitRows: true);
        const int n = 200;   // 600 windows × 4 rows ÷ 13 per batch ≈ 185 batches per epoch
        List<string> all;
        using (var a = StreamingLoader.FromShards(sequenceShards, DataSplit.Train, o, Kmer6))
        {
            all = Enumerable.Range(0, n).Select(_ => Fingerprint(a.Next()!)).ToList();
            Assert.Equal(1, a.State.Epoch);
        }
        var resumed = new List<string>();
        LoaderState saved;
        using (var b = StreamingLoader.FromShards(sequenceShards, DataSplit.Train, o, Kmer6))
        {
            for (int i = 0; i < interruptAt; i++) resumed.Add(Fingerprint(b.Next()!));
            saved = LoaderState.FromJson(b.State.ToJson());
        }
        if (interruptAt == 3) Assert.NotEqual(0, saved.TokenOffset);   // 39 rows read: the tenth window is a quarter through
        using (var c = StreamingLoader.FromShards(sequenceShards, DataSplit.Train, o, Kmer6, saved))
            for (int i = interruptAt; i < n; i++) resumed.Add(Fingerprint(c.Next()!));
        Assert.Equal(all, resumed);
    }

    [Fact]
    public void Sequences_too_short_for_one_row_are_an_input_error_not_an_endless_stream()
    {
        var o = new LoaderOptions(BatchSize: 4, MaxTokens: 300, Seed: 1, SplitRows: true);
        using var loader = StreamingLoader.FromShards(sequenceShards, DataSplit.Train, o, Kmer6);
        var e = Assert.Throws<Core.DnaInputException>(() => loader.Next());
        Assert.Contains("298 tokens a row of 300 needs", e.Message);
    }

    [Fact]
    public void Padded_rows_longer_than_max_tokens_keep_their_closing_token_and_are_counted()
    {
        var o = new LoaderOptions(BatchSize: 8, MaxTokens: 64, Seed: 5, ShuffleChunks: 1);
        var source = new ShardRowSource(sequenceShards, DataSplit.Train, o).ReadWindow(0, 0);
        using var loader = StreamingLoader.FromShards(sequenceShards, DataSplit.Train, o, Kmer6);
        var b = loader.Next()!;
        Assert.Equal(8, b.TruncatedRows);
        for (int r = 0; r < 8; r++)
        {
            // As the tokenizer truncates (Hugging Face's truncation=True): the first 62 6-mers, then [SEP].
            var expected = Kmer6.Encode(source[r].Sequence!, new EncodeOptions { MaxLength = 64 }).Ids.Select(i => (long)i);
            Assert.Equal(expected, b.InputIds[(r * 64)..((r + 1) * 64)]);
        }
    }

    /// <summary>A manifest over two N-free slices of the shipped chr20 sample (one soft-masked), so every row decodes to its bases.</summary>
    private GenomeManifest RealSlices()
    {
        using var chr20 = IndexedFasta.Open(Path.Combine(TestPaths.RepoRoot, "samples", "genome", "GRCh37_chr20_sample.fa.gz"), writeMissingIndex: false);
        var a = Encoding.ASCII.GetString(chr20.Fetch("20", 9_000_000, 9_030_000));
        var b = Encoding.ASCII.GetString(chr20.Fetch("20", 9_500_000, 9_520_000)).ToLowerInvariant();
        File.WriteAllText(dir.File("slices.fa"), $">a\n{a}\n>b\n{b}\n");
        File.WriteAllText(dir.File("slices.json"), """{ "name": "slices", "species": [ { "name": "human", "assembly": "GRCh37", "fasta": "slices.fa" } ] }""");
        return GenomeManifest.Load(dir.File("slices.json"));
    }

    [Fact]
    public void Fasta_sampled_rows_are_exactly_max_tokens_read_from_their_start_on_their_strand_and_resume_exactly()
    {
        var bpe = DnaTokenizers.Load(TestPaths.Fixture("tokenizers", "dnabert2_tokenizer.json"));
        var o = new LoaderOptions(BatchSize: 8, MaxTokens: 40, Seed: 3, ReverseComplement: true, SplitRows: true);
        var manifest = RealSlices();
        List<Batch> all;
        using (var a = StreamingLoader.FromManifest(manifest, DataSplit.Train, ShardFixture.Window, bpe, o))
            all = Enumerable.Range(0, 6).Select(_ => a.Next()!).ToList();

        var fastas = manifest.Species.ToDictionary(s => s.Name, s => IndexedFasta.Open(GenomeFiles.Resolve(manifest, s, null)));
        try
        {
            int checkedRows = 0, reverse = 0;
            foreach (var b in all)
            {
                Assert.Equal((8, 40), (b.Size, b.Length));
                Assert.All(b.AttentionMask, m => Assert.Equal(1, m));
                Assert.Equal(0, b.TruncatedRows);
                foreach (var s in b.Segments)
                {
                    var ids = b.InputIds[(s.Row * 40)..((s.Row + 1) * 40)];
                    Assert.Equal((bpe.Special.Cls!.Value, bpe.Special.Sep!.Value), ((int)ids[0], (int)ids[^1]));
                    var content = ids[1..^1].Select(i => (int)i).ToArray();
                    // The segment's coordinates are the bases its 38 tokens cover: decoding gives them back.
                    var bases = Encoding.ASCII.GetString(fastas[s.Species].Fetch(s.Contig, s.Start, s.End)).ToUpperInvariant();
                    if (s.Strand == '-')
                    {
                        var rc = Encoding.ASCII.GetBytes(bases);
                        NucleotideAlphabet.ReverseComplementInPlace(rc);
                        bases = Encoding.ASCII.GetString(rc);
                        reverse++;
                    }
                    Assert.Equal(bases, bpe.Decode(content));
                    // Slice b is soft-masked throughout: its tokens carry the flag, the frame never does.
                    var soft = b.SoftMask[(s.Row * 40)..((s.Row + 1) * 40)];
                    Assert.Equal([0, .. Enumerable.Repeat(s.Contig == "b" ? (byte)1 : (byte)0, 38), 0], soft);
                    checkedRows++;
                }
            }
            Assert.True(checkedRows == 48 && reverse > 0, $"{checkedRows} rows compared, {reverse} on the reverse strand");
        }
        finally
        {
            foreach (var f in fastas.Values) f.Dispose();
        }

        LoaderState saved;
        var resumed = new List<string>();
        using (var b = StreamingLoader.FromManifest(manifest, DataSplit.Train, ShardFixture.Window, bpe, o))
        {
            resumed.Add(Fingerprint(b.Next()!));
            resumed.Add(Fingerprint(b.Next()!));
            saved = b.State;
        }
        using (var c = StreamingLoader.FromManifest(manifest, DataSplit.Train, ShardFixture.Window, bpe, o, saved))
            for (int i = 2; i < 6; i++) resumed.Add(Fingerprint(c.Next()!));
        Assert.Equal(all.Select(Fingerprint), resumed);
    }
}
