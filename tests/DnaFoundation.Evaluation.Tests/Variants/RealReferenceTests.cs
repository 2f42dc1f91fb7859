using DnaFoundation.Evaluation.Variants;
using DnaFoundation.TestSupport;
using DnaFoundation.Data.Reference;

namespace DnaFoundation.Evaluation.Tests.Variants;

/// <summary>The VCF checks against the real GRCh37 chr20 (bgzip + .fai/.gzi through Data's indexed FASTA).</summary>
public class RealReferenceTests
{
    [SkippableFact]
    public void Every_real_indel_matches_grch37_chr20_through_the_chr_alias()
    {
        using var genome = FastaGenome.Open(TestPaths.Shared("genomes", "human", "GRCh37_chr20.fa.gz"));
        var prep = new VariantPreparer(genome, 128);
        var all = VcfReader.Read(TestPaths.Shared("variants", "GRCh37_chr20_indels.vcf.gz")).Select(prep.Prepare).ToList();
        Assert.Equal(194, all.Count);
        Assert.All(all, v => Assert.Equal(VariantStatus.Ok, v.Status));
        var logo = VcfReader.Read(TestPaths.Shared("variants", "Clinvar_nc_snv_pathogenic_177Pos_177Neg.vcf"))
            .Where(r => r.Chrom == "chr20").Select(prep.Prepare).ToList();
        Assert.Equal(7, logo.Count);
        Assert.All(logo, v => Assert.Equal("20", v.Contig));
        Assert.All(logo, v => Assert.Equal(v.Record.Ref, v.Window!.Bases[v.Window.VariantOffset].ToString()));
    }

    [SkippableFact]
    public void Telomere_variant_window_is_n_padded_and_region_reads_match_the_cache()
    {
        using var fasta = FastaGenome.Open(TestPaths.Shared("genomes", "human", "GRCh37_chr20.fa.gz"));
        using var cached = FastaGenome.Open(TestPaths.Shared("genomes", "human", "GRCh37_chr20.fa.gz"), cacheContigs: true);
        Assert.Equal(63_025_520, fasta.Length("20"));
        Assert.Equal(fasta.Fetch("20", 1_000_000, 1_000_100), cached.Fetch("20", 1_000_000, 1_000_100));
        var w = VariantWindow.Centered(fasta, "20", 63_025_519, 16);
        Assert.Equal(16, w.Bases.Length);
        Assert.EndsWith("NNNNNNN", w.Bases);
    }
}
