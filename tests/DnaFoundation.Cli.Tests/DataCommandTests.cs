using System.Security.Cryptography;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary><c>dnafm data …</c> as a user runs it: exit codes, messages and files left behind.</summary>
public class DataCommandTests
{
    private static readonly byte[] Genome = File.ReadAllBytes(TestPaths.Fixture("data", "goldens", "bgzf", "mixed.fa.gz"));

    private static string Manifest(TempDir dir, string name, string url, string sha256)
    {
        var path = dir.File(name);
        File.WriteAllText(path, $$"""{ "name": "t", "species": [ { "name": "toy", "assembly": "toy1", "fasta": "{{url}}", "sha256": "{{sha256}}" } ] }""");
        return path;
    }

    [Fact]
    public void Data_fetch_resumes_over_http_on_127_0_0_1_and_verifies_the_checksum()
    {
        // The server drops its first response after 200 bytes; an earlier, killed run left the first 100 bytes.
        using var server = new LocalHttpServer(cutFirstResponses: 1) { CutFirstResponseAfter = 200 };
        server.Add("g/mixed.fa.gz", Genome);
        using var dir = new TempDir("cli-fetch");
        var sha = Convert.ToHexStringLower(SHA256.HashData(Genome));
        var manifest = Manifest(dir, "m.json", server.BaseUrl + "g/mixed.fa.gz", sha);
        var outDir = dir.File("genomes");
        Directory.CreateDirectory(outDir);
        File.WriteAllBytes(Path.Combine(outDir, "mixed.fa.gz.part"), Genome[..100]);

        var r = CliRunner.Run("data", "fetch", manifest, "--out", outDir);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Matches(@"downloaded\s+toy", r.StdOut);
        Assert.Equal(["bytes=100-", "bytes=300-"], server.RangeHeaders);   // resumed twice: after the old run, after the cut
        Assert.Equal(Genome, File.ReadAllBytes(Path.Combine(outDir, "mixed.fa.gz")));
        Assert.Equal([Path.Combine(outDir, "mixed.fa.gz")], Directory.GetFiles(outDir).Where(f => Path.GetFileName(f) is not ("run.json" or "log.jsonl")));
        Assert.Equal("data fetch", System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "run.json"))).RootElement.GetProperty("command").GetString());

        var again = CliRunner.Run("data", "fetch", manifest, "--out", outDir);
        Assert.Equal(0, again.ExitCode);
        Assert.Matches(@"present\s+toy", again.StdOut);
        Assert.Equal(2, server.RangeHeaders.Count);   // verified on disk, nothing downloaded
    }

    [Fact]
    public void Data_fetch_with_a_wrong_checksum_exits_2_naming_the_manifest_and_keeps_no_file()
    {
        using var server = new LocalHttpServer();
        server.Add("mixed.fa.gz", Genome);
        using var dir = new TempDir("cli-fetch");
        var manifest = Manifest(dir, "wrong.json", server.BaseUrl + "mixed.fa.gz", new string('0', 64));
        var outDir = dir.File("genomes");

        var r = CliRunner.Run("data", "fetch", manifest, "--out", outDir);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + Path.GetFullPath(manifest), line);
        Assert.Contains("sha256", line);
        Assert.Empty(Directory.GetFiles(outDir));
    }

    private static byte[] GzipBytes(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    private static readonly byte[] MixedFasta = File.ReadAllBytes(TestPaths.Fixture("data", "fasta", "mixed.fa"));
    private static readonly string MixedFai = File.ReadAllText(TestPaths.Fixture("data", "goldens", "fai", "mixed.fa.fai"));

    private static byte[] Gunzip(string path)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var o = new MemoryStream();
        gz.CopyTo(o);
        return o.ToArray();
    }

    /// <summary>BGZF by the spec's signature: the first member carries the BC extra subfield.</summary>
    private static bool IsBgzf(string path)
    {
        var b = File.ReadAllBytes(path);
        return b.Length >= 28 && b[0] == 0x1f && b[1] == 0x8b && (b[3] & 4) != 0 && b[12] == 'B' && b[13] == 'C'
            && Convert.ToHexStringLower(b[^28..]) == "1f8b08040000000000ff0600424302001b0003000000000000000000";
    }

    [Fact]
    public void Data_fetch_of_a_plain_gzip_genome_verifies_it_then_leaves_bgzf_fai_and_gzi_and_a_rerun_says_present()
    {
        var published = GzipBytes(MixedFasta);
        using var server = new LocalHttpServer();
        server.Add("goldenPath/toy.fa.gz", published);
        using var dir = new TempDir("cli-fetch");
        var manifest = Manifest(dir, "m.json", server.BaseUrl + "goldenPath/toy.fa.gz", Convert.ToHexStringLower(SHA256.HashData(published)));
        var outDir = dir.File("genomes");

        var r = CliRunner.Run("data", "fetch", manifest, "--out", outDir, "--threads", "2");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Matches(@"downloaded\s+toy\s+.*toy\.fa\.gz\s+\(recompressed to BGZF", r.StdOut);
        var genome = Path.Combine(outDir, "toy.fa.gz");
        Assert.True(IsBgzf(genome));
        Assert.Equal(MixedFasta, Gunzip(genome));
        Assert.Equal(MixedFai, File.ReadAllText(genome + ".fai"));
        // run.json / log.jsonl are the command's run record (every command with --out writes one).
        Assert.Equal(new[] { "log.jsonl", "run.json", "toy.fa.gz", "toy.fa.gz.fai", "toy.fa.gz.fetch.json", "toy.fa.gz.gzi" },
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(genome + ".fetch.json")))
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(published)), record.RootElement.GetProperty("published").GetProperty("sha256").GetString());

        var again = CliRunner.Run("data", "fetch", manifest, "--out", outDir);
        Assert.Equal(0, again.ExitCode);
        Assert.Matches(@"present\s+toy", again.StdOut);
        Assert.Single(server.RangeHeaders);   // one download in all

        // The regions of the fetched genome, read by random access.
        var faidx = CliRunner.Run("data", "faidx", genome, "r1:1-10");
        Assert.Equal(">r1:1-10\nGCTAAAGACA\n", faidx.StdOut);
    }

    [Fact]
    public void Data_bgzip_replaces_a_gzip_fasta_in_place_and_refuses_one_already_bgzf()
    {
        using var dir = new TempDir("cli-bgzip");
        var path = dir.File("g.fa.gz");
        File.WriteAllBytes(path, GzipBytes(MixedFasta));
        var r = CliRunner.Run("data", "bgzip", path, "--threads", "2");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.True(IsBgzf(path));
        Assert.Equal(MixedFasta, Gunzip(path));
        Assert.Equal(MixedFai, File.ReadAllText(path + ".fai"));
        Assert.Equal(new[] { "g.fa.gz", "g.fa.gz.fai", "g.fa.gz.gzi" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());

        var bytes = File.ReadAllBytes(path);
        var again = CliRunner.Run("data", "bgzip", path);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already BGZF", again.StdOut);
        Assert.Equal(bytes, File.ReadAllBytes(path));

        // A plain FASTA goes to FILE.gz (the input stays), or to -o.
        var plain = dir.File("p.fa");
        File.WriteAllBytes(plain, MixedFasta);
        Assert.Equal(0, CliRunner.Run("data", "bgzip", plain).ExitCode);
        Assert.True(IsBgzf(plain + ".gz"));
        Assert.Equal(0, CliRunner.Run("data", "bgzip", plain, "-o", dir.File("o.bgz")).ExitCode);
        Assert.Equal(MixedFasta, Gunzip(dir.File("o.bgz")));
        Assert.Equal(MixedFai, File.ReadAllText(dir.File("o.bgz.fai")));
        Assert.Equal(MixedFasta, File.ReadAllBytes(plain));
    }

    [Theory]
    [InlineData("truncated.fa.gz", "truncated")]
    [InlineData("non-iupac.fa", "invalid character 'X'")]
    public void Data_bgzip_of_bad_input_exits_2_with_one_line_naming_the_file_and_leaves_no_output(string file, string message)
    {
        using var dir = new TempDir("cli-bgzip");
        var path = dir.File(file);
        File.Copy(TestPaths.Fixture("data", "broken", file), path);
        var r = CliRunner.Run("data", "bgzip", path);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + path, line);
        Assert.Contains(message, line);
        Assert.Equal([path], Directory.GetFiles(dir.Path));   // in place: the input untouched, no temp file, no index
        Assert.Equal(File.ReadAllBytes(TestPaths.Fixture("data", "broken", file)), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("non-iupac.fa", "invalid character 'X'")]
    [InlineData("truncated-bgzf.fa.gz", "truncated BGZF")]
    [InlineData("missing.fa", "cannot open")]
    public void Data_shard_on_bad_input_exits_2_with_one_line_naming_the_file_and_leaves_no_output(string file, string message)
    {
        using var dir = new TempDir("cli-shard");
        var genome = dir.File(file);
        if (file != "missing.fa") File.Copy(TestPaths.Fixture("data", "broken", file), genome);
        File.WriteAllText(dir.File("m.json"), $$"""{ "name": "b", "species": [ { "name": "x", "assembly": "x", "fasta": "{{file}}" } ] }""");

        var r = CliRunner.Run("data", "shard", "--manifest", dir.File("m.json"), "--tokenizer", "nt6", "--window", "4", "--rows-per-shard", "1", "--out", dir.File("out"));
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + genome, line);
        Assert.Contains(message, line);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
