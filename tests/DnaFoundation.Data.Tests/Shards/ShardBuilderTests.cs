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

    [Fact]
    public async Task Rerun_skips_finished_shards_and_a_killed_run_leaves_nothing_a_reader_accepts()
    {
        using var dir = new TempDir("shard");
        var m = ShardFixture.Manifest(dir);
        await new ShardBuilder(m, Options(dir, null)).RunAsync();
        var before = ShardIndex.Read(dir.File("out/index.json"));
        // Simulate a run killed while writing shard 2: its file is gone, a temp file is left behind.
        File.Delete(dir.File("out/train/shard-00002.parquet"));
        File.WriteAllBytes(dir.File("out/train/.shard-00002.parquet.tmp-999-abc"), [1, 2, 3]);
        var summary = await new ShardBuilder(m, Options(dir, null)).RunAsync();
        Assert.Equal(1, summary.Written);
        Assert.Equal(2, summary.Skipped);
        Assert.Empty(Directory.GetFiles(dir.File("out/train"), ".*"));
        Assert.Equal(before.Shards, ShardIndex.Read(dir.File("out/index.json")).Shards);   // byte-identical rebuild
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
