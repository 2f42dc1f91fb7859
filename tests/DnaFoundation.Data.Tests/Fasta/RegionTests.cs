using System.Security.Cryptography;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Fasta;

public class RegionTests
{
    /// <summary>Our faidx output split into records: (header, byte length, md5), as make-goldens.sh records samtools'.</summary>
    private static List<string> Md5PerRecord(string output)
    {
        var result = new List<string>();
        var records = output.Split('>', StringSplitOptions.RemoveEmptyEntries);
        foreach (var r in records)
        {
            var text = Encoding.ASCII.GetBytes(">" + r);
            var header = r[..r.IndexOf('\n')];
            result.Add($"{header}\t{text.Length}\t{Convert.ToHexStringLower(MD5.HashData(text))}");
        }
        return result;
    }

    internal static void AssertRegionsMatchSamtools(string fasta, string golden)
    {
        var regions = File.ReadAllLines(DataFixtures.Golden("regions", golden + ".regions.txt")).Where(l => l.Length > 0).ToList();
        var expected = File.ReadAllLines(DataFixtures.Golden("regions", golden + ".md5.tsv")).Where(l => l.Length > 0).ToList();
        Assert.Equal(1000, regions.Count);
        var output = new StringWriter { NewLine = "\n" };
        Faidx.Run(fasta, regions, output, TextWriter.Null);
        Assert.Equal(expected, Md5PerRecord(output.ToString()));
    }

    [SkippableTheory]
    [InlineData("human/GRCh37_chr20.fa.gz", "GRCh37_chr20")]
    [InlineData("human/hg38_chr2_1-2333275.fa.gz", "hg38_chr2_1-2333275")]
    public void Thousand_random_bgzf_regions_equal_samtools_faidx(string genome, string golden)
    {
        var path = TestPaths.Shared("genomes", genome);
        using var dir = new TempDir("regions");
        var copy = dir.File(Path.GetFileName(path));
        File.Copy(path, copy);   // builds .fai/.gzi itself rather than trusting the shared ones
        AssertRegionsMatchSamtools(copy, golden);
    }

    [SkippableFact]
    public void The_same_regions_from_an_uncompressed_copy_equal_samtools_faidx()
    {
        var path = TestPaths.Shared("genomes", "human", "hg38_chr2_1-2333275.fa.gz");
        using var dir = new TempDir("regions");
        var plain = dir.File("hg38.fa");
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress))
        using (var o = File.Create(plain)) gz.CopyTo(o);
        AssertRegionsMatchSamtools(plain, "hg38_chr2_1-2333275");
    }

    [Theory]
    [InlineData("r1", "r1", 0, 270)]
    [InlineData("r1:3-5", "r1", 2, 5)]
    [InlineData("r1:3", "r1", 2, 270)]
    [InlineData("r1:-5", "r1", 0, 5)]
    [InlineData("r1:1,0-1,2", "r1", 9, 12)]
    [InlineData("r1:260-400", "r1", 259, 270)]
    [InlineData("r1:300-400", "r1", 270, 270)]
    [InlineData("r1:0-2", "r1", 0, 0)]
    [InlineData("{r1}:2-3", "r1", 1, 3)]
    public void Regions_parse_and_clamp_as_samtools(string text, string name, long start, long end)
    {
        var index = FaiIndex.Read(DataFixtures.Golden("fai", "mixed.fa.fai"));
        Assert.Equal(new GenomicRegion(text, name, start, end), GenomicRegion.Parse(text, index));
    }

    [Theory]
    [InlineData("zz", "no sequence")]
    [InlineData("r1:5-3", "end is before start")]
    [InlineData("r1:x-3", "not a position")]
    public void Bad_regions_are_input_errors(string text, string message)
    {
        var index = FaiIndex.Read(DataFixtures.Golden("fai", "mixed.fa.fai"));
        Assert.Contains(message, Assert.Throws<DnaInputException>(() => GenomicRegion.Parse(text, index)).Message);
    }

    [Fact]
    public void A_name_containing_a_colon_is_ambiguous_as_in_samtools()
    {
        var index = new FaiIndex([new FaiEntry("x:1", 8, 5, 8, 9), new FaiEntry("x", 4, 19, 4, 5)]);
        Assert.Contains("ambiguous", Assert.Throws<DnaInputException>(() => GenomicRegion.Parse("x:1", index)).Message);
        Assert.Equal(new GenomicRegion("{x:1}", "x:1", 0, 8), GenomicRegion.Parse("{x:1}", index));
        Assert.Equal(new GenomicRegion("x:2-3", "x", 1, 3), GenomicRegion.Parse("x:2-3", index));
    }

    [Fact]
    public void Faidx_writes_the_index_when_absent_and_wraps_at_60()
    {
        using var dir = new TempDir("faidx");
        var fa = dir.File("m.fa");
        File.Copy(DataFixtures.Fasta("mixed.fa"), fa);
        var output = new StringWriter { NewLine = "\n" };
        var warnings = new StringWriter();
        Faidx.Run(fa, ["r1:1-130", "r3", "r1:300-400"], output, warnings);
        Assert.True(File.Exists(fa + ".fai"));
        var lines = output.ToString().Split('\n');
        Assert.Equal(">r1:1-130", lines[0]);
        Assert.Equal([60, 60, 10], lines[1..4].Select(l => l.Length));
        Assert.Equal(">r3", lines[4]);
        Assert.Equal(">r1:300-400", lines[6]);
        Assert.Contains("zero length", warnings.ToString());
    }
}
