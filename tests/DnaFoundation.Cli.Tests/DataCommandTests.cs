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
