using System.Security.Cryptography;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Tests.Shards;

public class ShardBuilderTests
{
    private static ShardBuildOptions Options(TempDir dir, string? tokenizer) =>
        new(dir.File("out"), ShardFixture.Window, Tokenizer: tokenizer, RowsPerShard: 1000, Seed: 5,
            Splits: [DataSplit.Train, DataSplit.Validation], MaxRowsPerSplit: 2500, ReverseComplement: ReverseComplementMode.Random);

    [Fact]
    public async Task Id_shards_hold_the_tokens_of_the_genome_with_counts_and_checksums()
    {
        using var dir = new TempDir("shard");
        var m = ShardFixture.Manifest(dir);
        var summary = await new ShardBuilder(m, Options(dir, "nt6")).RunAsync();
        var index = ShardIndex.Read(dir.File("out/index.json"));
        Assert.Equal(ShardContent.InputIds, index.Content);
        // Validation holds only toy's r2 (66 bases): shorter than a window, so the split is complete and empty.
        Assert.Equal(["train/shard-00000.parquet", "train/shard-00001.parquet", "train/shard-00002.parquet"], index.Shards.Select(s => s.File));
        Assert.Equal([1000L, 1000, 500], index.Shards.Select(s => s.Rows));
        Assert.Equal(["train", "validation"], index.CompleteSplits);
        foreach (var s in index.Shards)
            Assert.Equal(s.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(dir.File("out/" + s.File)))));
        Assert.Equal(new ShardBuilder.Summary(3, 0, 2500), summary);

        var nt6 = DnaTokenizers.Load("nt6");
        using var reader = ParquetShardReader.Open(dir.File("out/train/shard-00001.parquet"));
        var rows = await reader.ReadRowGroupAsync(0);
        Assert.Equal(1000, rows.Length);
        using var fasta = IndexedFasta.Open(Path.Combine(TestPaths.RepoRoot, "samples", "genome", "GRCh37_chr20_sample.fa.gz"), writeMissingIndex: false);
        foreach (var r in rows.Where(r => r.Species == "human").Take(50))
        {
            var window = new Data.Windows.GenomeWindow(r.Species, r.Contig, r.Start, r.End, '+', fasta.Fetch(r.Contig, r.Start, r.End));
            if (r.Strand == '-') window = window.ReverseComplement();
            Assert.Equal(nt6.Encode(window.Sequence).Ids, r.InputIds);
            Assert.Equal(r.InputIds!.Length, r.SoftMask!.Length);
        }
        Assert.Contains(rows, r => r.Strand == '-');
        Assert.Contains(rows, r => r.Strand == '+');
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Rerun_skips_finished_shards_and_a_killed_run_leaves_nothing_a_reader_accepts(int threads)
    {
        using var dir = new TempDir("shard");
        var m = ShardFixture.Manifest(dir);
        await new ShardBuilder(m, Options(dir, null) with { Threads = threads }).RunAsync();
        var before = ShardIndex.Read(dir.File("out/index.json"));
        // Simulate a run killed while writing shard 2: its file is gone, a temp file is left behind.
        File.Delete(dir.File("out/train/shard-00002.parquet"));
        File.WriteAllBytes(dir.File("out/train/.shard-00002.parquet.tmp-999-abc"), [1, 2, 3]);
        var summary = await new ShardBuilder(m, Options(dir, null) with { Threads = threads }).RunAsync();
        Assert.Equal(1, summary.Written);
        Assert.Equal(2, summary.Skipped);
        Assert.Empty(Directory.GetFiles(dir.File("out/train"), ".*"));
        Assert.Equal(before.Shards, ShardIndex.Read(dir.File("out/index.json")).Shards);   // byte-identical rebuild
    }

    /// <summary>Reports progress synchronously (Progress&lt;T&gt; would post it to the thread pool, too late to act on).</summary>
    private sealed class CancelAfterFirstShard(CancellationTokenSource cts) : IProgress<Core.ProgressInfo>
    {
        public void Report(Core.ProgressInfo value) => cts.Cancel();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_run_stopped_mid_way_keeps_only_whole_shards_and_the_rerun_finishes_them_identically(int threads)
    {
        using var dir = new TempDir("shard");
        var m = ShardFixture.Manifest(dir);
        var o = Options(dir, "nt6") with { Threads = threads };
        using (var cts = new CancellationTokenSource())
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ShardBuilder(m, o, new CancelAfterFirstShard(cts)).RunAsync(cts.Token));
        // Whatever the stopped run left: no temp file, and every shard its index lists is whole (size and sha256).
        // Inline, the first shard is on disk when progress is reported; pipelined, it may still be queued and dropped.
        Assert.Empty(Directory.GetFiles(dir.File("out"), ".*", SearchOption.AllDirectories));
        var kept = ShardIndex.TryRead(dir.File("out"))?.Shards ?? [];
        Assert.InRange(kept.Count, threads == 1 ? 1 : 0, 2);
        Assert.DoesNotContain("train", ShardIndex.TryRead(dir.File("out"))?.CompleteSplits ?? []);
        foreach (var s in kept)
            Assert.Equal(s.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(dir.File("out/" + s.File)))));
        var onDisk = Directory.Exists(dir.File("out/train")) ? Directory.GetFiles(dir.File("out/train")) : [];
        Assert.Equal(kept.Select(s => s.File).Order(), onDisk.Select(f => "train/" + Path.GetFileName(f)).Order());

        var summary = await new ShardBuilder(m, o).RunAsync();
        Assert.Equal(kept.Count, summary.Skipped);
        Assert.Equal(3 - kept.Count, summary.Written);
        using var fresh = new TempDir("shard");
        await new ShardBuilder(ShardFixture.Manifest(fresh), Options(fresh, "nt6") with { Threads = threads }).RunAsync();
        Assert.Equal(ShardIndex.Read(fresh.File("out/index.json")).Shards, ShardIndex.Read(dir.File("out/index.json")).Shards);
    }

    [Fact]
    public async Task Pipelined_and_inline_writing_give_the_same_bytes_and_every_codec_the_same_rows()
    {
        using var dir = new TempDir("shard");
        var m = ShardFixture.Manifest(dir);
        var builds = new Dictionary<string, ShardBuildOptions>
        {
            ["inline"] = Options(dir, "nt6") with { OutDir = dir.File("inline"), Threads = 1 },
            ["pipelined"] = Options(dir, "nt6") with { OutDir = dir.File("pipelined"), Threads = 2 },
            ["zstd"] = Options(dir, "nt6") with { OutDir = dir.File("zstd"), Compression = ShardCompression.Zstd },
            ["none"] = Options(dir, "nt6") with { OutDir = dir.File("none"), Compression = ShardCompression.None },
        };
        foreach (var o in builds.Values) await new ShardBuilder(m, o).RunAsync();
        var inline = ShardIndex.Read(dir.File("inline/index.json"));
        var pipelined = ShardIndex.Read(dir.File("pipelined/index.json"));
        Assert.Equal(inline.Settings, pipelined.Settings);
        Assert.Equal(inline.Shards, pipelined.Shards);   // same files, rows, sha256 and sizes
        Assert.Equal(inline.CompleteSplits, pipelined.CompleteSplits);
        // Snappy shards keep the fingerprint they had before the codec was a setting, so old shard folders resume.
        Assert.DoesNotContain("codec", inline.Settings);
        Assert.EndsWith(";codec=zstd", ShardIndex.Read(dir.File("zstd/index.json")).Settings);

        var expected = await ReadAll(dir.File("inline/train/shard-00001.parquet"));
        foreach (var (name, codec) in new[] { ("zstd", Parquet.Meta.CompressionCodec.ZSTD), ("none", Parquet.Meta.CompressionCodec.UNCOMPRESSED), ("inline", Parquet.Meta.CompressionCodec.SNAPPY) })
        {
            var path = dir.File($"{name}/train/shard-00001.parquet");
            Assert.Equal(expected, await ReadAll(path), ShardRowComparer.Instance);
            await using var fs = File.OpenRead(path);
            await using var pq = await Parquet.ParquetReader.CreateAsync(fs);
            using var rg = pq.OpenRowGroupReader(0);
            Assert.All(pq.Schema.GetDataFields(), f => Assert.Equal(codec, rg.GetMetadata(f)!.MetaData!.Codec));
        }
        var sizes = builds.Keys.ToDictionary(k => k, k => ShardIndex.Read(dir.File($"{k}/index.json")).Shards.Sum(s => s.Bytes));
        Assert.True(sizes["zstd"] < sizes["inline"] && sizes["inline"] < sizes["none"], string.Join(", ", sizes));
    }

    private static async Task<List<ShardRow>> ReadAll(string path)
    {
        using var reader = ParquetShardReader.Open(path);
        var rows = new List<ShardRow>();
        for (int g = 0; g < reader.RowGroupCount; g++) rows.AddRange(await reader.ReadRowGroupAsync(g));
        return rows;
    }

    /// <summary>Rows are records holding arrays: compare the arrays by content.</summary>
    private sealed class ShardRowComparer : IEqualityComparer<ShardRow>
    {
        public static readonly ShardRowComparer Instance = new();

        public bool Equals(ShardRow? a, ShardRow? b) =>
            a is not null && b is not null && a with { InputIds = null, SoftMask = null } == b with { InputIds = null, SoftMask = null }
            && a.InputIds.AsSpan().SequenceEqual(b.InputIds) && a.SoftMask.AsSpan().SequenceEqual(b.SoftMask);

        public int GetHashCode(ShardRow r) => HashCode.Combine(r.Contig, r.Start, r.Strand);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_failing_rerun_restores_the_index_less_the_shards_it_replaced_and_the_next_run_repairs_them(int threads)
    {
        using var dir = new TempDir("shard");
        var mixed = File.ReadAllText(DataFixtures.Fasta("mixed.fa"));
        File.WriteAllText(dir.File("x.fa"), mixed);
        File.WriteAllText(dir.File("m.json"), """{ "name": "t", "species": [ { "name": "x", "assembly": "x", "fasta": "x.fa" } ] }""");
        var m = GenomeManifest.Load(dir.File("m.json"));
        // mixed.fa gives 18 windows of 20 bases: shards of 4, 4, 4, 4 and 2 rows.
        var o = new ShardBuildOptions(dir.File("out"), new Data.Windows.WindowOptions(Length: 20, MaxNFraction: 1), RowsPerShard: 4, Threads: threads, Splits: [DataSplit.Train]);
        await new ShardBuilder(m, o).RunAsync();
        var first = ShardIndex.Read(dir.File("out/index.json"));
        Assert.Equal([4L, 4, 4, 4, 2], first.Shards.Select(s => s.Rows));

        // The genome changes under the same path: two more windows (the last shard now fills up and is rewritten),
        // then a bad record. The run fails; the replaced shard is gone, so the index must not list it any more.
        File.WriteAllText(dir.File("x.fa"), mixed + ">extra\n" + new string('A', 40) + "\n" + File.ReadAllText(DataFixtures.Broken("non-iupac.fa")));
        await Assert.ThrowsAsync<Core.DnaInputException>(() => new ShardBuilder(m, o).RunAsync());
        var restored = ShardIndex.Read(dir.File("out/index.json"));
        Assert.Equal(first.Shards.Take(4), restored.Shards);
        Assert.Empty(restored.CompleteSplits);
        Assert.Equal(restored.Shards.Select(s => "train/" + Path.GetFileName(s.File)), Directory.GetFiles(dir.File("out/train")).Select(f => "train/" + Path.GetFileName(f)).Order());

        File.WriteAllText(dir.File("x.fa"), mixed);
        var summary = await new ShardBuilder(m, o).RunAsync();
        Assert.Equal(new ShardBuilder.Summary(1, 4, 18), summary);
        Assert.Equal(first.Shards, ShardIndex.Read(dir.File("out/index.json")).Shards);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_base_the_tokenizer_rejects_names_the_fasta_and_the_window_and_leaves_no_shard(int threads)
    {
        using var dir = new TempDir("shard");
        // 'U' is IUPAC (the FASTA reader accepts it), but no DNA tokenizer has a token for it.
        File.WriteAllText(dir.File("rna.fa"), ">r1\n" + new string('A', 45) + "U" + new string('C', 34) + "\n");
        File.WriteAllText(dir.File("m.json"), """{ "name": "t", "species": [ { "name": "x", "assembly": "x", "fasta": "rna.fa" } ] }""");
        var o = new ShardBuildOptions(dir.File("out"), new Data.Windows.WindowOptions(Length: 20), Tokenizer: "nt6", RowsPerShard: 1, Threads: threads);
        var e = await Assert.ThrowsAsync<Core.DnaInputException>(() => new ShardBuilder(GenomeManifest.Load(dir.File("m.json")), o).RunAsync());
        Assert.Equal(dir.File("rna.fa"), e.File);
        Assert.StartsWith(dir.File("rna.fa") + ": sequence 'r1:41-60' position 6: 'U' is not a DNA base", e.Message);
        Assert.False(Directory.Exists(dir.File("out")));
    }

    [Fact]
    public async Task Different_settings_in_the_same_folder_are_refused()
    {
        using var dir = new TempDir("shard");
        var m = ShardFixture.Manifest(dir);
        await new ShardBuilder(m, Options(dir, null) with { MaxRowsPerSplit = 10 }).RunAsync();
        var e = await Assert.ThrowsAsync<Core.DnaInputException>(() => new ShardBuilder(m, Options(dir, "nt6") with { MaxRowsPerSplit = 10 }).RunAsync());
        Assert.Contains("other settings", e.Message);
    }

    [Fact]
    public async Task Sequence_shards_keep_case_and_coordinates()
    {
        using var dir = new TempDir("shard");
        var m = ShardFixture.Manifest(dir);
        await new ShardBuilder(m, Options(dir, null) with { ReverseComplement = ReverseComplementMode.None }).RunAsync();
        using var reader = ParquetShardReader.Open(dir.File("out/train/shard-00000.parquet"));
        Assert.Equal(ShardContent.Sequence, reader.Content);
        var rows = await reader.ReadRowGroupAsync(0);
        var toy = rows.Where(r => r.Species == "toy").ToList();
        Assert.NotEmpty(toy);
        var r1 = DataFixtures.SeqkitSequences("mixed").First(s => s.Name == "r1").Sequence;
        Assert.All(toy, r => Assert.Equal(r1.Substring((int)r.Start, 200), r.Sequence));
    }
}
