using System.Security.Cryptography;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
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

    /// <summary>mixed.fa as a publisher ships it: plain gzip (one member, no BC field), made here with .NET's GZipStream.</summary>
    private static readonly byte[] PlainGzip = GzipBytes(File.ReadAllBytes(DataFixtures.Fasta("mixed.fa")));

    private static byte[] GzipBytes(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    private static byte[] Uncompressed(string path)
    {
        using var s = SequenceInput.OpenDecompressed(path, out _);
        using var o = new MemoryStream();
        s.CopyTo(o);
        return o.ToArray();
    }

    private static string Md5(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));

    private static GenomeManifest PlainGzipManifest(TempDir dir, LocalHttpServer server, bool md5List = false)
    {
        server.Add("hg/toy.fa.gz", PlainGzip);
        server.Add("hg/md5sum.txt", System.Text.Encoding.ASCII.GetBytes($"{Md5(PlainGzip)}  toy.fa.gz\n"));
        var checksum = md5List
            ? $$"""  "checksum_list": { "url": "{{server.BaseUrl}}hg/md5sum.txt", "algorithm": "md5" } """
            : $$"""  "sha256": "{{Sha(PlainGzip)}}" """;
        return GenomeManifest.Load(WriteManifest(dir, $$"""
            { "name": "t", "species": [ { "name": "toy", "assembly": "toy1", "fasta": "{{server.BaseUrl}}hg/toy.fa.gz", {{checksum}} } ] }
            """));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_plain_gzip_download_is_verified_then_recompressed_to_bgzf_and_a_rerun_finds_it_present(bool md5List)
    {
        using var server = new LocalHttpServer();
        using var dir = new TempDir("fetch");
        var m = PlainGzipManifest(dir, server, md5List);
        using var http = new HttpClient();
        var target = dir.File("out/toy.fa.gz");
        var r = (await new ManifestFetcher(http).FetchAsync(m, dir.File("out"))).Single();
        Assert.Equal("downloaded", r.Status);
        Assert.Contains("BGZF", r.Note);
        Assert.Equal(FastaCompression.Bgzf, SequenceInput.Detect(target));
        Assert.Equal(File.ReadAllBytes(DataFixtures.Fasta("mixed.fa")), Uncompressed(target));
        Assert.Equal(File.ReadAllText(DataFixtures.Golden("fai", "mixed.fa.fai")), File.ReadAllText(target + ".fai"));
        Assert.True(File.Exists(target + ".gzi"));
        Assert.Equal(new[] { "toy.fa.gz", "toy.fa.gz.fai", "toy.fa.gz.fetch.json", "toy.fa.gz.gzi" }, Directory.GetFiles(dir.File("out")).Select(Path.GetFileName).Order());
        using (var fasta = IndexedFasta.Open(target)) Assert.Equal("GCTAAAGACA", System.Text.Encoding.ASCII.GetString(fasta.Fetch("r1", 0, 10)));

        // The record: the published file's checksums (both computed, whichever was checked) and the conversion.
        var record = FetchRecord.TryRead(target)!;
        Assert.Equal(Sha(PlainGzip), record.Published.Sha256);
        Assert.Equal(Md5(PlainGzip), record.Published.Md5);
        Assert.Equal(PlainGzip.Length, record.Published.Bytes);
        Assert.Contains(md5List ? "md5sum.txt" : "sha256 from the manifest", Assert.Single(record.Published.Verified));
        Assert.Equal(Sha(File.ReadAllBytes(target)), record.Conversion.Sha256);
        Assert.Null(record.Conversion.OriginalKept);

        int requests = server.RangeHeaders.Count;
        var recordText = File.ReadAllText(FetchRecord.PathFor(target));
        var again = (await new ManifestFetcher(http).FetchAsync(m, dir.File("out"))).Single();
        Assert.Equal("present", again.Status);
        // Nothing downloaded again (with a checksum list, only the list is read, to check the recorded md5 against it).
        Assert.Equal(requests + (md5List ? 1 : 0), server.RangeHeaders.Count);
        Assert.Equal(recordText, File.ReadAllText(FetchRecord.PathFor(target)));
    }

    [Fact]
    public async Task Keep_original_keeps_the_published_bytes_and_no_bgzip_leaves_the_download_as_published()
    {
        using var server = new LocalHttpServer();
        using var dir = new TempDir("fetch");
        var m = PlainGzipManifest(dir, server);
        using var http = new HttpClient();
        var kept = await new ManifestFetcher(http, options: new FetchOptions(KeepOriginal: true, Threads: 2)).FetchAsync(m, dir.File("a"));
        Assert.Contains("toy.fa.gz.orig", kept.Single().Note);
        Assert.Equal(PlainGzip, File.ReadAllBytes(dir.File("a/toy.fa.gz.orig")));
        Assert.Equal(FastaCompression.Bgzf, SequenceInput.Detect(dir.File("a/toy.fa.gz")));
        Assert.Equal("toy.fa.gz.orig", FetchRecord.TryRead(dir.File("a/toy.fa.gz"))!.Conversion.OriginalKept);

        var plain = await new ManifestFetcher(http, options: new FetchOptions(Bgzip: false)).FetchAsync(m, dir.File("b"));
        Assert.Null(plain.Single().Note);
        Assert.Equal(PlainGzip, File.ReadAllBytes(dir.File("b/toy.fa.gz")));
        Assert.Equal([dir.File("b/toy.fa.gz")], Directory.GetFiles(dir.File("b")));

        // A later run without --no-bgzip converts the file already there, after verifying it, without downloading.
        int requests = server.RangeHeaders.Count;
        var later = (await new ManifestFetcher(http).FetchAsync(m, dir.File("b"))).Single();
        Assert.Equal("present", later.Status);
        Assert.Contains("BGZF", later.Note);
        Assert.Equal(requests, server.RangeHeaders.Count);
        Assert.Equal(FastaCompression.Bgzf, SequenceInput.Detect(dir.File("b/toy.fa.gz")));
    }

    [Fact]
    public async Task A_run_killed_between_the_record_and_the_rename_is_finished_by_the_next_run()
    {
        using var server = new LocalHttpServer();
        using var dir = new TempDir("fetch");
        var m = PlainGzipManifest(dir, server);
        using var http = new HttpClient();
        await new ManifestFetcher(http).FetchAsync(m, dir.File("out"));
        var target = dir.File("out/toy.fa.gz");
        var before = FetchRecord.TryRead(target)!;
        // What a kill just before the BGZF's rename leaves: the published file, its record, and a temp file.
        File.WriteAllBytes(target, PlainGzip);
        File.WriteAllText(dir.File("out/.toy.fa.gz.tmp-1-dead"), "half a BGZF");
        int requests = server.RangeHeaders.Count;
        var r = (await new ManifestFetcher(http).FetchAsync(m, dir.File("out"))).Single();
        Assert.Equal("present", r.Status);
        Assert.Contains("BGZF", r.Note);
        Assert.Equal(requests, server.RangeHeaders.Count);
        Assert.Equal(FastaCompression.Bgzf, SequenceInput.Detect(target));
        Assert.False(File.Exists(dir.File("out/.toy.fa.gz.tmp-1-dead")));
        var after = FetchRecord.TryRead(target)!;
        Assert.Equal(before.Published.Digests, after.Published.Digests);
        Assert.Equal(before.Conversion.Sha256, after.Conversion.Sha256);   // the same bytes made again
        Assert.Equal(Sha(File.ReadAllBytes(target)), after.Conversion.Sha256);
    }

    [Fact]
    public async Task A_converted_genome_whose_manifest_checksum_changed_fails_naming_the_manifest()
    {
        using var server = new LocalHttpServer();
        using var dir = new TempDir("fetch");
        var m = PlainGzipManifest(dir, server);
        using var http = new HttpClient();
        await new ManifestFetcher(http).FetchAsync(m, dir.File("out"));
        var changed = m with { Species = [m.Species[0] with { Sha256 = new string('1', 64) }] };
        var e = await Assert.ThrowsAsync<DnaInputException>(() => new ManifestFetcher(http).FetchAsync(changed, dir.File("out")));
        Assert.Contains("sha256", e.Message);
        Assert.Contains("was made from", e.Message);
        Assert.Equal(m.SourcePath, e.File);
    }

    [Fact]
    public async Task A_download_that_is_not_fasta_is_kept_as_published_and_the_error_names_it()
    {
        using var server = new LocalHttpServer();
        var bad = GzipBytes(File.ReadAllBytes(DataFixtures.Broken("non-iupac.fa")));
        server.Add("x.fa.gz", bad);
        using var dir = new TempDir("fetch");
        var m = GenomeManifest.Load(WriteManifest(dir, $$"""
            { "name": "t", "species": [ { "name": "x", "assembly": "x", "fasta": "{{server.BaseUrl}}x.fa.gz", "sha256": "{{Sha(bad)}}" } ] }
            """));
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<DnaInputException>(() => new ManifestFetcher(http).FetchAsync(m, dir.File("out")));
        Assert.Contains("invalid character 'X'", e.Message);
        Assert.Equal(dir.File("out/x.fa.gz"), e.File);
        Assert.Equal([dir.File("out/x.fa.gz")], Directory.GetFiles(dir.File("out")));
        Assert.Equal(bad, File.ReadAllBytes(dir.File("out/x.fa.gz")));
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
