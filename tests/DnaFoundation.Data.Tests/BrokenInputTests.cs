using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests;

/// <summary>Every file of tests/fixtures/data/broken gives a clean error naming it, and leaves no output behind.</summary>
public class BrokenInputTests
{
    public static IEnumerable<object[]> Corpus() =>
        File.ReadAllLines(DataFixtures.Broken("EXPECTED.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Select(f => new object[] { f[0], f[1], f[2], f[3] });

    [Fact]
    public void The_corpus_lists_every_broken_file()
    {
        var listed = Corpus().Select(r => (string)r[0]).Order();
        var present = Directory.GetFiles(TestPaths.Fixture("data", "broken")).Select(Path.GetFileName).Where(n => n != "EXPECTED.tsv").Order();
        Assert.Equal(present, listed!);
    }

    private static void AssertNames(DnaInputException e, string path, string message, string line, string offset)
    {
        Assert.Contains(message, e.Message);
        Assert.Equal(path, e.File);
        Assert.StartsWith(path, e.Message);
        if (line != "-") Assert.Equal(long.Parse(line, System.Globalization.CultureInfo.InvariantCulture), e.Line);
        if (offset != "-") Assert.Equal(long.Parse(offset, System.Globalization.CultureInfo.InvariantCulture), e.ByteOffset);
        Assert.True(e.Line is not null || e.ByteOffset is not null || message.Contains("truncated", StringComparison.Ordinal), "names a line or byte offset");
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Streaming_read_fails_cleanly(string file, string message, string line, string offset)
    {
        using var dir = new TempDir("broken");
        var path = dir.File(file);
        File.Copy(DataFixtures.Broken(file), path);
        var e = Assert.Throws<DnaInputException>(() =>
        {
            using var reader = FastaReader.Open(path);
            DataFixtures.ReadAll(reader, 4096);
        });
        AssertNames(e, path, message, line, offset);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Faidx_fails_cleanly_and_writes_no_index(string file, string message, string line, string offset)
    {
        using var dir = new TempDir("broken");
        var path = dir.File(file);
        File.Copy(DataFixtures.Broken(file), path);
        var e = Assert.Throws<DnaInputException>(() => Faidx.Run(path, [], TextWriter.Null, TextWriter.Null));
        if (file != "truncated.fa.gz") AssertNames(e, path, message, line, offset);   // plain gzip: refused before reading
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Bgzip_fails_cleanly_and_leaves_no_output(string file, string message, string line, string offset)
    {
        using var dir = new TempDir("broken");
        var path = dir.File(file);
        File.Copy(DataFixtures.Broken(file), path);
        bool bgzf = SequenceInput.Detect(path) == FastaCompression.Bgzf;
        foreach (var output in new[] { dir.File("out.fa.gz"), path })
        {
            var e = Assert.Throws<DnaInputException>(() => Bgzip.Convert(path, output, threads: 2));
            if (bgzf) Assert.Contains("already BGZF", e.Message);   // refused before reading: nothing to convert
            else AssertNames(e, path, message, line, offset);
            Assert.Equal([path], Directory.GetFiles(dir.Path));
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Sharding_fails_cleanly_and_leaves_no_shard(string file, string message, string line, string offset)
    {
        using var dir = new TempDir("broken");
        var path = dir.File(file);
        File.Copy(DataFixtures.Broken(file), path);
        File.WriteAllText(dir.File("m.json"), $$"""{ "name": "b", "species": [ { "name": "x", "assembly": "x", "fasta": "{{file}}" } ] }""");
        var m = GenomeManifest.Load(dir.File("m.json"));
        // Inline and pipelined (shards written on another thread while the bad bytes are being read).
        foreach (int threads in new[] { 1, 2 })
        {
            var options = new ShardBuildOptions(dir.File("out"), new WindowOptions(Length: 2, MaxNFraction: 1), RowsPerShard: 1, Threads: threads);
            var e = await Assert.ThrowsAsync<DnaInputException>(() => new ShardBuilder(m, options).RunAsync());
            AssertNames(e, path, message, line, offset);
            Assert.False(Directory.Exists(dir.File("out")));   // the run made the folder, so it takes it away again
            Assert.Equal(new[] { path, dir.File("m.json") }.Order(), Directory.GetFiles(dir.Path).Order());
        }
    }

    /// <summary>Every file (with its sha256) and folder under <paramref name="dir"/>.</summary>
    internal static List<(string Entry, string Sha)> Listing(string dir) =>
        Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (f, Directory.Exists(f) ? "folder" : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))))).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_failing_run_into_an_existing_folder_leaves_it_as_it_was(int threads)
    {
        using var dir = new TempDir("broken");
        // A good genome whose windows fill shards first, then a record with a non-IUPAC character.
        File.WriteAllText(dir.File("x.fa"), File.ReadAllText(DataFixtures.Fasta("mixed.fa")) + File.ReadAllText(DataFixtures.Broken("non-iupac.fa")));
        File.WriteAllText(dir.File("m.json"), """{ "name": "b", "species": [ { "name": "x", "assembly": "x", "fasta": "x.fa" } ] }""");
        var o = new ShardBuildOptions(dir.File("out"), new WindowOptions(Length: 20, MaxNFraction: 1), RowsPerShard: 4, Threads: threads, Splits: [DataSplit.Train]);
        Directory.CreateDirectory(o.OutDir);
        File.WriteAllText(dir.File("out/notes.txt"), "the user's own file");
        var before = Listing(o.OutDir);
        var e = await Assert.ThrowsAsync<DnaInputException>(() => new ShardBuilder(GenomeManifest.Load(dir.File("m.json")), o).RunAsync());
        Assert.Contains("invalid character 'X'", e.Message);
        Assert.Equal(before, Listing(o.OutDir));   // the shards written before the error, their folder and the index are gone
    }

    [Fact]
    public void An_unreadable_path_names_the_path()
    {
        var e = Assert.Throws<DnaInputException>(() => FastaReader.Open("/nonexistent/dir/x.fa"));
        Assert.Equal("/nonexistent/dir/x.fa", e.File);
    }
}
