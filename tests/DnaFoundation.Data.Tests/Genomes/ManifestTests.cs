using System.Security.Cryptography;
using DnaFoundation.Core;
using DnaFoundation.Data.Genomes;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Genomes;

public class ManifestTests
{
    private static readonly byte[] Genome = File.ReadAllBytes(DataFixtures.Golden("bgzf", "mixed.fa.gz"));

    private static string WriteManifest(TempDir dir, string json)
    {
        var path = dir.File("m.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    [Fact]
    public async Task Fetch_resumes_an_interrupted_download_and_verifies_sha256()
    {
        using var server = new LocalHttpServer(cutFirstResponses: 1) { CutFirstResponseAfter = 200 };
        server.Add("g/mixed.fa.gz", Genome);
        using var dir = new TempDir("fetch");
        var m = GenomeManifest.Load(WriteManifest(dir, $$"""
            { "name": "t", "species": [ { "name": "toy", "assembly": "toy1", "fasta": "{{server.BaseUrl}}g/mixed.fa.gz", "sha256": "{{Sha(Genome)}}" } ] }
            """));
        using var http = new HttpClient();
        var results = await new ManifestFetcher(http).FetchAsync(m, dir.File("out"));
        Assert.Equal("downloaded", results.Single().Status);
        Assert.Equal(Genome, File.ReadAllBytes(dir.File("out/mixed.fa.gz")));
        Assert.Equal([null, "bytes=200-"], server.RangeHeaders);   // the second request resumed where the first was cut
        Assert.False(File.Exists(dir.File("out/mixed.fa.gz.part")));

        var again = await new ManifestFetcher(http).FetchAsync(m, dir.File("out"));
        Assert.Equal("present", again.Single().Status);
        Assert.Equal(2, server.RangeHeaders.Count);   // nothing downloaded the second time
    }

    [Fact]
    public async Task A_new_run_resumes_from_the_part_file_an_interrupted_run_left()
    {
        using var server = new LocalHttpServer();
        server.Add("mixed.fa.gz", Genome);
        using var dir = new TempDir("fetch");
        var m = GenomeManifest.Load(WriteManifest(dir, $$"""
            { "name": "t", "species": [ { "name": "toy", "assembly": "toy1", "fasta": "{{server.BaseUrl}}mixed.fa.gz", "sha256": "{{Sha(Genome)}}" } ] }
            """));
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllBytes(dir.File("out/mixed.fa.gz.part"), Genome[..333]);   // what a killed `dnafm data fetch` leaves
        using var http = new HttpClient();
        var results = await new ManifestFetcher(http).FetchAsync(m, dir.File("out"));
        Assert.Equal("downloaded", results.Single().Status);
        Assert.Equal(["bytes=333-"], server.RangeHeaders);
        Assert.Equal(Genome, File.ReadAllBytes(dir.File("out/mixed.fa.gz")));
        Assert.Equal([dir.File("out/mixed.fa.gz")], Directory.GetFiles(dir.File("out")));
    }

    [Fact]
    public async Task A_corrupt_part_file_fails_the_checksum_is_dropped_and_the_next_run_starts_over()
    {
        using var server = new LocalHttpServer();
        server.Add("mixed.fa.gz", Genome);
        using var dir = new TempDir("fetch");
        var manifestPath = WriteManifest(dir, $$"""
            { "name": "t", "species": [ { "name": "toy", "assembly": "toy1", "fasta": "{{server.BaseUrl}}mixed.fa.gz", "sha256": "{{Sha(Genome)}}" } ] }
            """);
        var m = GenomeManifest.Load(manifestPath);
        Directory.CreateDirectory(dir.File("out"));
        var bad = Genome[..333];
        bad[100] ^= 0xFF;   // the resumed tail is right, the kept head is not
        File.WriteAllBytes(dir.File("out/mixed.fa.gz.part"), bad);
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<DnaInputException>(() => new ManifestFetcher(http).FetchAsync(m, dir.File("out")));
        Assert.Contains("sha256", e.Message);
        Assert.Equal(Path.GetFullPath(manifestPath), e.File);
        Assert.Empty(Directory.GetFiles(dir.File("out")));

        var results = await new ManifestFetcher(http).FetchAsync(m, dir.File("out"));
        Assert.Equal("downloaded", results.Single().Status);
        Assert.Equal(["bytes=333-", null], server.RangeHeaders);   // the second run downloads from the start
        Assert.Equal(Genome, File.ReadAllBytes(dir.File("out/mixed.fa.gz")));
    }

    [Fact]
    public async Task A_wrong_checksum_fails_naming_the_manifest_and_leaves_no_file()
    {
        using var server = new LocalHttpServer();
        server.Add("mixed.fa.gz", Genome);
        using var dir = new TempDir("fetch");
        var manifestPath = WriteManifest(dir, $$"""
            { "name": "t", "species": [ { "name": "toy", "assembly": "toy1", "fasta": "{{server.BaseUrl}}mixed.fa.gz", "sha256": "{{new string('0', 64)}}" } ] }
            """);
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<DnaInputException>(() => new ManifestFetcher(http).FetchAsync(GenomeManifest.Load(manifestPath), dir.File("out")));
        Assert.Equal(Path.GetFullPath(manifestPath), e.File);
        Assert.Contains("sha256", e.Message);
        Assert.Empty(Directory.GetFiles(dir.File("out")));
    }

    [Fact]
    public async Task Published_md5_lists_and_ensembl_bsd_sums_are_looked_up()
    {
        using var server = new LocalHttpServer();
        server.Add("mixed.fa.gz", Genome);
        var md5 = Convert.ToHexStringLower(MD5.HashData(Genome));
        server.Add("md5sum.txt", System.Text.Encoding.ASCII.GetBytes($"0123456789abcdef0123456789abcdef  other.fa.gz\n{md5}  mixed.fa.gz\n"));
        using var dir = new TempDir("fetch");
        File.WriteAllBytes(dir.File("g.bin"), Genome);
        var bsd = PublishedChecksum.BsdSum(dir.File("g.bin"));
        server.Add("CHECKSUMS", System.Text.Encoding.ASCII.GetBytes($"{bsd} mixed.fa.gz\n"));
        var m = GenomeManifest.Load(WriteManifest(dir, $$"""
            { "name": "t", "species": [
              { "name": "a", "assembly": "x", "fasta": "{{server.BaseUrl}}mixed.fa.gz", "checksum_list": { "url": "{{server.BaseUrl}}md5sum.txt", "algorithm": "md5" } },
              { "name": "b", "assembly": "x", "fasta": "{{server.BaseUrl}}mixed.fa.gz", "file_name": "b.fa.gz", "checksum_list": { "url": "{{server.BaseUrl}}CHECKSUMS", "algorithm": "bsd-sum", "entry": "mixed.fa.gz" } } ] }
            """));
        using var http = new HttpClient();
        var results = await new ManifestFetcher(http).FetchAsync(m, dir.File("out"));
        Assert.Equal(["downloaded", "downloaded"], results.Select(r => r.Status));
    }

    [Fact]
    public void Bsd_sum_matches_the_sum_utility_on_a_known_input()
    {
        using var dir = new TempDir("sum");
        File.WriteAllText(dir.File("x"), "hello\n");
        Assert.Equal("36979 1", PublishedChecksum.BsdSum(dir.File("x")));   // GNU `sum x` prints "36979     1"
    }

    [Theory]
    [InlineData("chr8", DataSplit.Validation)]
    [InlineData("chr9", DataSplit.Test)]
    [InlineData("chr1", DataSplit.Train)]
    [InlineData("chr1_KI270706v1_random", null)]
    [InlineData("chrM", null)]
    public void Contig_splits_hold_chr8_and_chr9_out(string contig, DataSplit? expected)
    {
        var s = new ContigSplits(Validation: ["chr8"], Test: ["chr9"], Exclude: ["*_random", "*_alt", "chrUn_*", "chrM"]);
        Assert.Equal(expected, s.SplitOf(contig));
    }

    [Fact]
    public void Unknown_keys_and_bad_weights_are_rejected_with_the_file()
    {
        using var dir = new TempDir("m");
        var p1 = WriteManifest(dir, """{ "name": "t", "species": [ { "name": "a", "assembly": "x", "fasta": "a.fa", "wieght": 2 } ] }""");
        Assert.Contains("wieght", Assert.Throws<DnaInputException>(() => GenomeManifest.Load(p1)).Message);
        var p2 = WriteManifest(dir, """{ "name": "t", "species": [ { "name": "a", "assembly": "x", "fasta": "a.fa", "weight": -1 } ] }""");
        Assert.Contains("weight", Assert.Throws<DnaInputException>(() => GenomeManifest.Load(p2)).Message);
    }

    public static IEnumerable<object[]> ShippedManifests() =>
        Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "data-manifests"), "*.json").Select(p => new object[] { Path.GetFileName(p) });

    [Theory]
    [MemberData(nameof(ShippedManifests))]
    public void Shipped_manifests_load(string file)
    {
        var m = GenomeManifest.Load(Path.Combine(TestPaths.RepoRoot, "data-manifests", file));
        Assert.NotEmpty(m.Species);
        Assert.All(m.Species, s => Assert.True(s.IsRemote || !s.Fasta.Contains("://", StringComparison.Ordinal)));
    }

    [SkippableFact]
    public async Task The_local_manifest_resolves_and_verifies_every_shared_genome()
    {
        var shared = TestPaths.Shared("genomes");
        var m = LocalManifest.Load(shared);
        using var http = new HttpClient();
        var results = await new ManifestFetcher(http).FetchAsync(m, Path.GetTempPath());
        Assert.All(results, r => Assert.Equal("verified", r.Status));
        Assert.True(results.Count >= 10);
    }
}

/// <summary>Loads data-manifests/local-shared.json with its relative paths pointing at wherever ../shared/data is.</summary>
internal static class LocalManifest
{
    public static GenomeManifest Load(string sharedGenomes)
    {
        var m = GenomeManifest.Load(Path.Combine(TestPaths.RepoRoot, "data-manifests", "local-shared.json"));
        // Paths in the manifest are "../../shared/data/genomes/…" from data-manifests/; re-anchor them.
        var anchor = Path.Combine(sharedGenomes, "..", "..", "..", "x", "data-manifests", "local-shared.json");
        return m with { SourcePath = Path.GetFullPath(anchor) };
    }
}
