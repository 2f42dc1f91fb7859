using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Reference;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Reference;

public class ReferenceGenomeTests
{
    private static string SampleGenome => Path.Combine(TestPaths.RepoRoot, "samples", "genome", "GRCh37_chr20_sample.fa.gz");

    [Fact]
    public void Padded_fetch_fills_with_N_past_both_contig_ends()
    {
        var genome = new InMemoryGenome(new Dictionary<string, string> { ["c"] = "acgtACGT" });
        Assert.Equal("NNACG", genome.FetchPadded("c", -2, 3));
        Assert.Equal("GTNNN", genome.FetchPadded("c", 6, 11));
        Assert.Equal("NNACGTACGTNN", genome.FetchPadded("c", -2, 10));
        Assert.Equal("NNNN", genome.FetchPadded("c", 20, 24));
        Assert.Throws<DnaInputException>(() => genome.Length("nope"));
    }

    [SkippableFact]
    public void Fasta_genome_region_reads_equal_samtools_faidx()
    {
        var samtools = ExternalTool.Require("samtools", "samtools");
        using var dir = new TempDir("ref");
        // A copy, so samtools may write its own index without touching the checkout.
        var copy = dir.File("g.fa.gz");
        foreach (var ext in new[] { "", ".fai", ".gzi" }) File.Copy(SampleGenome + ext, copy + ext);
        using var genome = FastaGenome.Open(copy);
        Assert.Equal(["20"], genome.Contigs);
        Assert.Equal(63_025_520, genome.Length("20"));
        foreach (var (start, end) in new[] { (9_000_000L, 9_000_100L), (10_629_695L, 10_629_716L), (9_999_990L, 10_000_010L) })
        {
            var expected = Encoding.ASCII.GetString(ExternalTool.Check(samtools, "faidx", copy, $"20:{start + 1}-{end}"))
                .Split('\n').Skip(1).Aggregate(new StringBuilder(), (sb, l) => sb.Append(l.Trim())).ToString().ToUpperInvariant();
            Assert.Equal(expected, genome.Fetch("20", start, end));
        }
    }
}
