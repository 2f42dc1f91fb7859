using System.IO.Compression;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Fasta;

/// <summary>
/// <c>dnafm data bgzip</c>'s library: plain or gzip FASTA → BGZF + .fai + .gzi, checked against samtools' indexes and
/// region output (committed goldens, and samtools itself when installed), and against bad input.
/// </summary>
public class BgzipTests
{
    private static string Decompress(string gz, string to)
    {
        using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
        using var o = File.Create(to);
        input.CopyTo(o);
        return to;
    }

    private static byte[] Uncompressed(string path)
    {
        using var s = SequenceInput.OpenDecompressed(path, out _);
        using var o = new MemoryStream();
        s.CopyTo(o);
        return o.ToArray();
    }

    /// <summary>Regions [start, end) every <paramref name="step"/> bases of every record, up to <paramref name="maxSpan"/> long, read from both files, are the same bases.</summary>
    private static void AssertSameRegions(string expectedFasta, string actualFasta, int step, long maxSpan = long.MaxValue)
    {
        using var a = IndexedFasta.Open(expectedFasta);
        using var b = IndexedFasta.Open(actualFasta);
        Assert.Equal(a.Index.ToText(), b.Index.ToText());
        foreach (var e in a.Index.Entries)
            for (long start = 0; start < e.Length; start += step)
                for (long end = start + 1; end <= e.Length && end - start <= maxSpan; end += step * 3 + 1)
                    Assert.Equal(Encoding.ASCII.GetString(a.Fetch(e.Name, start, end)), Encoding.ASCII.GetString(b.Fetch(e.Name, start, end)));
    }

    public static IEnumerable<object[]> Indexable() => DataFixtures.IndexableLayouts.Select(l => new object[] { l });

    [Theory]
    [MemberData(nameof(Indexable))]
    public void Small_layouts_in_tiny_blocks_give_samtools_fai_and_the_same_regions(string layout)
    {
        using var dir = new TempDir("bgzip");
        var gz = DataFixtures.GzipCopy(DataFixtures.Fasta(layout + ".fa"), dir);
        var output = dir.File(layout + ".bgzf.gz");
        // 64-byte blocks, so records and regions straddle many blocks.
        var result = Bgzip.Convert(gz, output, threads: 2, blockDataSize: 64);
        Assert.Equal(FastaCompression.Gzip, result.InputCompression);
        Assert.Equal(FastaCompression.Bgzf, SequenceInput.Detect(output));
        Assert.Equal(File.ReadAllBytes(DataFixtures.Fasta(layout + ".fa")), Uncompressed(output));
        Assert.Equal(File.ReadAllText(DataFixtures.Golden("fai", layout + ".fa.fai")), File.ReadAllText(output + ".fai"));
        Assert.Equal(File.ReadAllText(output + ".fai"), result.Fai.ToText());
        Assert.Equal(new FileInfo(output).Length, result.OutputBytes);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(output))), result.OutputSha256);
        // The .gzi lists every block but the first (implicit), 64 uncompressed bytes apart.
        var gzi = GziIndex.Read(output + ".gzi");
        Assert.Equal(Enumerable.Range(0, (int)((result.UncompressedBytes + 63) / 64)).Select(i => i * 64L), gzi.Entries.Select(e => e.UncompressedOffset));
        AssertSameRegions(DataFixtures.Fasta(layout + ".fa"), output, step: 7);
        var seqkit = DataFixtures.SeqkitSequences(layout);
        using var fasta = IndexedFasta.Open(output);
        Assert.Equal(seqkit, fasta.Index.Entries.Select(e => (e.Name, Encoding.ASCII.GetString(fasta.Fetch(e.Name, 0, e.Length)))));
    }

    [Fact]
    public void A_plain_fasta_is_converted_too_and_an_input_can_be_replaced_in_place()
    {
        using var dir = new TempDir("bgzip");
        var plain = dir.File("mixed.fa");
        File.Copy(DataFixtures.Fasta("mixed.fa"), plain);
        Bgzip.Convert(plain, dir.File("mixed.fa.gz"), threads: 1);
        Assert.Equal(File.ReadAllBytes(plain), Uncompressed(dir.File("mixed.fa.gz")));

        var gz = DataFixtures.GzipCopy(plain, dir);   // overwrites mixed.fa.gz with plain gzip
        Assert.Equal(FastaCompression.Gzip, SequenceInput.Detect(gz));
        Bgzip.Convert(gz, gz);
        Assert.Equal(FastaCompression.Bgzf, SequenceInput.Detect(gz));
        Assert.Equal(File.ReadAllBytes(plain), Uncompressed(gz));
        Assert.Equal(File.ReadAllText(DataFixtures.Golden("fai", "mixed.fa.fai")), File.ReadAllText(gz + ".fai"));
        Assert.Equal(new[] { "mixed.fa", "mixed.fa.gz", "mixed.fa.gz.fai", "mixed.fa.gz.gzi" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [SkippableFact]
    public void A_thousand_regions_of_hg38_chr2_recompressed_by_us_equal_samtools_faidx()
    {
        var shared = TestPaths.Shared("genomes", "human", "hg38_chr2_1-2333275.fa.gz");
        using var dir = new TempDir("bgzip");
        var plain = Decompress(shared, dir.File("hg38.fa"));
        var ours = dir.File("hg38.bgzf.gz");
        Bgzip.Convert(plain, ours, threads: 2);
        Assert.Equal(File.ReadAllText(DataFixtures.Golden("fai", "hg38_chr2_1-2333275.fa.fai")), File.ReadAllText(ours + ".fai"));
        RegionTests.AssertRegionsMatchSamtools(ours, "hg38_chr2_1-2333275");   // md5 of samtools' output per region
    }

    [SkippableTheory]
    [InlineData("other/Celegans_subset.fa.gz", "Celegans_subset")]
    [InlineData("other/pseudopig_softmasked.fa.gz", "pseudopig_softmasked")]
    [InlineData("bacteria/Vcholerae_O395.fa.gz", "Vcholerae_O395")]
    public void Published_plain_gzip_genomes_get_samtools_fai_and_their_exact_bytes(string genome, string golden)
    {
        var shared = TestPaths.Shared("genomes", genome);
        Skip.IfNot(SequenceInput.Detect(shared) == FastaCompression.Gzip, $"{shared} is no longer plain gzip");
        using var dir = new TempDir("bgzip");
        var ours = dir.File(golden + ".fa.gz");
        Bgzip.Convert(shared, ours, threads: 2);
        Assert.Equal(File.ReadAllText(DataFixtures.Golden("fai", golden + ".fa.fai")), File.ReadAllText(ours + ".fai"));
        var plain = Decompress(shared, dir.File(golden + ".fa"));
        Assert.Equal(File.ReadAllBytes(plain), Uncompressed(ours));
        AssertSameRegions(plain, ours, step: 99_991, maxSpan: 100_000);
    }

    [SkippableFact]
    public void Samtools_reads_our_file_as_it_reads_the_plain_one_and_writes_the_same_indexes()
    {
        var samtools = ExternalTool.Require("samtools", "samtools");
        var bgzip = ExternalTool.Require("bgzip", "tabix");
        using var dir = new TempDir("bgzip");
        // The small layouts in 64-byte blocks (regions across many blocks), and a real genome in bgzip-sized blocks.
        var cases = new List<(string Plain, int Block)> { (DataFixtures.Fasta("mixed.fa"), 64), (DataFixtures.Fasta("crlf.fa"), 64) };
        if (TestPaths.SharedData is not null && File.Exists(Path.Combine(TestPaths.SharedData, "genomes", "other", "Celegans_subset.fa.gz")))
            cases.Add((Decompress(Path.Combine(TestPaths.SharedData, "genomes", "other", "Celegans_subset.fa.gz"), dir.File("ce.fa")), BgzfWriter.MaxBlockData));
        foreach (var (plainSource, block) in cases)
        {
            var name = Path.GetFileNameWithoutExtension(plainSource);
            var plain = dir.File(name + ".plain.fa");
            File.Copy(plainSource, plain, overwrite: true);
            var ours = dir.File(name + ".ours.fa.gz");
            Bgzip.Convert(plain, ours, threads: 2, blockDataSize: block);
            ExternalTool.Check(bgzip, "-t", ours);

            // samtools indexes a copy of our file itself: its .fai and .gzi must be ours, byte for byte.
            var copy = dir.File(name + ".copy.fa.gz");
            File.Copy(ours, copy, overwrite: true);
            ExternalTool.Check(samtools, "faidx", copy);
            Assert.Equal(File.ReadAllBytes(copy + ".fai"), File.ReadAllBytes(ours + ".fai"));
            Assert.Equal(File.ReadAllBytes(copy + ".gzi"), File.ReadAllBytes(ours + ".gzi"));

            // Regions: samtools on our file (with our indexes) prints what it prints for the plain file, and what we print.
            using var fasta = IndexedFasta.Open(ours);
            var rng = new Random(3);
            var regions = fasta.Index.Entries.SelectMany(e => Enumerable.Range(0, 40).Select(_ =>
            {
                long a = rng.NextInt64(e.Length) + 1, b = Math.Min(e.Length, a + rng.NextInt64(Math.Min(e.Length, 5000)));
                return $"{e.Name}:{a}-{b}";
            })).Prepend(fasta.Index.Entries[0].Name).ToArray();
            var fromOurs = ExternalTool.Check(samtools, ["faidx", ours, .. regions]);
            Assert.Equal(ExternalTool.Check(samtools, ["faidx", plain, .. regions]), fromOurs);
            var ourOutput = new StringWriter { NewLine = "\n" };
            Faidx.Run(ours, regions, ourOutput, TextWriter.Null);
            Assert.Equal(Encoding.ASCII.GetString(fromOurs), ourOutput.ToString());
        }
    }

    [Theory]
    [InlineData("truncated.fa.gz", "truncated")]
    [InlineData("non-iupac.fa", "invalid character 'X'")]
    [InlineData("duplicate-names.fa", "duplicate record name")]
    [InlineData("binary.fa", "binary data")]
    public void Bad_input_fails_naming_the_file_and_leaves_no_output(string file, string message)
    {
        using var dir = new TempDir("bgzip");
        var path = dir.File(file);
        File.Copy(DataFixtures.Broken(file), path);
        foreach (var output in new[] { dir.File("out.fa.gz"), path })   // to a new file, and in place
        {
            var e = Assert.Throws<DnaInputException>(() => Bgzip.Convert(path, output, threads: 2));
            Assert.Contains(message, e.Message);
            Assert.Equal(path, e.File);
            Assert.Equal([path], Directory.GetFiles(dir.Path));   // no temp file, no index, input untouched
            Assert.Equal(File.ReadAllBytes(DataFixtures.Broken(file)), File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void A_layout_samtools_cannot_index_fails_with_its_line_and_leaves_no_output()
    {
        using var dir = new TempDir("bgzip");
        var gz = DataFixtures.GzipCopy(DataFixtures.Fasta("ragged.fa"), dir);
        var e = Assert.Throws<DnaInputException>(() => Bgzip.Convert(gz, dir.File("out.fa.gz")));
        Assert.Contains("cannot index", e.Message);
        Assert.Equal(3, e.Line);
        Assert.Equal([gz], Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_file_that_is_already_bgzf_is_refused()
    {
        using var dir = new TempDir("bgzip");
        var path = dir.File("mixed.fa.gz");
        File.Copy(DataFixtures.Golden("bgzf", "mixed.fa.gz"), path);
        var e = Assert.Throws<DnaInputException>(() => Bgzip.Convert(path, path));
        Assert.Contains("already BGZF", e.Message);
        Assert.Equal([path], Directory.GetFiles(dir.Path));
    }
}
