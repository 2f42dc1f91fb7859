using DnaFoundation.Core;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.TestSupport;
using DnaFoundation.Data.Reference;

namespace DnaFoundation.Evaluation.Tests.Variants;

public class VcfTests
{
    private static List<VcfRecord> Parse(string text) => VcfReader.Read(new StringReader(text), "t.vcf").ToList();

    //                                    0         1         2
    //                                    0123456789012345678901234567
    private static readonly InMemoryGenome Genome = new(new Dictionary<string, string> { ["20"] = "ACGTACGTTTGGCCAAACGTACGTGGCC", ["MT"] = "GATC" });

    [Fact]
    public void Reads_header_less_logo_style_lines_and_full_vcf()
    {
        var r = Parse("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr20\t5\trs1\ta\tg\t.\tPASS\t.\n20\t6\tClinvar1\tC\tT\n");
        Assert.Equal(2, r.Count);
        Assert.Equal(("chr20", 5L, "A", "G", 3L), (r[0].Chrom, r[0].Position, r[0].Ref, r[0].Alt, r[0].Line));
        Assert.True(r[1].IsSnv);
        Assert.Equal(4, r[1].Line);
    }

    [Fact]
    public void Multiallelic_lines_split_into_one_record_per_alt()
    {
        var r = Parse("20\t9\t.\tT\tC,G,TTA\n");
        Assert.Equal(["C", "G", "TTA"], r.Select(x => x.Alt));
        Assert.Equal([1, 2, 3], r.Select(x => x.AltIndex));
        Assert.All(r, x => Assert.Equal(3, x.AltCount));
        Assert.True(r[2].IsIndel);
    }

    [Theory]
    [InlineData("20\t5\t.\tA\n", "at least 5")]
    [InlineData("20 5 . A G\n", "separated by tabs")]
    [InlineData("20\tfive\t.\tA\tG\n", "POS 'five'")]
    [InlineData("20\t0\t.\tA\tG\n", "POS '0'")]
    [InlineData("20\t5\t.\tAX\tG\n", "REF 'AX'")]
    [InlineData("20\t5\t.\tA\tG,\n", "empty allele")]
    [InlineData("20\t5\t.\tA\t\n", "empty ALT")]
    public void Malformed_lines_name_the_file_and_line(string bad, string message)
    {
        var e = Assert.Throws<DnaInputException>(() => Parse("##fileformat=VCFv4.2\n20\t5\t.\tA\tG\n" + bad));
        Assert.Equal("t.vcf", e.File);
        Assert.Equal(3, e.Line);
        Assert.Contains(message, e.Message);
        Assert.StartsWith("t.vcf:3: ", e.Message);
    }

    [Fact]
    public void Chromosome_aliases_resolve_both_ways()
    {
        var ucsc = new ContigAliases(["chr20", "chrM"]);
        Assert.Equal("chr20", ucsc.Resolve("20"));
        Assert.Equal("chrM", ucsc.Resolve("MT"));
        var ensembl = new ContigAliases(["20", "MT"]);
        Assert.Equal("20", ensembl.Resolve("chr20"));
        Assert.Equal("MT", ensembl.Resolve("chrM"));
        Assert.Null(ensembl.Resolve("chr21"));
    }

    [Fact]
    public void Ref_mismatch_is_a_status_never_a_score()
    {
        var prep = new VariantPreparer(Genome, 8);
        var good = prep.Prepare(Parse("chr20\t5\t.\tA\tG\n")[0]);
        Assert.Equal(VariantStatus.Ok, good.Status);
        Assert.Equal("20", good.Contig);
        var bad = prep.Prepare(Parse("chr20\t5\t.\tC\tG\n")[0]);
        Assert.Equal(VariantStatus.RefMismatch, bad.Status);
        Assert.Equal("A", bad.ReferenceBases);
        Assert.Null(bad.Window);
        Assert.Equal(VariantStatus.ContigNotFound, prep.Prepare(Parse("chr1\t5\t.\tA\tG\n")[0]).Status);
        Assert.Equal(VariantStatus.OutOfRange, prep.Prepare(Parse("20\t28\t.\tCA\tG\n")[0]).Status);
        Assert.Equal(VariantStatus.SymbolicAllele, prep.Prepare(Parse("20\t5\t.\tA\t<DEL>\n")[0]).Status);
        Assert.Equal(VariantStatus.Ok, prep.Prepare(Parse("chrM\t2\t.\tA\tT\n")[0]).Status);
    }

    [Fact]
    public void Windows_at_contig_ends_are_padded_with_n_and_keep_the_variant_centred()
    {
        var prep = new VariantPreparer(Genome, 8);
        var first = prep.Prepare(Parse("20\t1\t.\tA\tT\n")[0]).Window!;
        Assert.Equal("NNNNACGT", first.Bases);
        Assert.Equal(4, first.VariantOffset);
        Assert.Equal('A', first.Bases[first.VariantOffset]);
        var last = prep.Prepare(Parse("20\t28\t.\tC\tT\n")[0]).Window!;
        Assert.Equal("TGGCCNNN", last.Bases);
        Assert.Equal('C', last.Bases[last.VariantOffset]);
        Assert.Equal("TGGCTNNN", last.WithAllele("C", "T"));
        var tiny = prep.Prepare(Parse("MT\t2\t.\tA\tT\n")[0]).Window!;
        Assert.Equal("NNNGATCN", tiny.Bases);
    }

    [Fact]
    public void Indel_alt_windows_keep_width_and_refill_from_the_reference()
    {
        var prep = new VariantPreparer(Genome, 8);
        // POS 9 (0-based 8) = T of "TTGG"; window = bases 4..11 "ACGTTTGG"
        var w = prep.Prepare(Parse("20\t9\t.\tT\tC\n")[0]).Window!;
        Assert.Equal("ACGTTTGG", w.Bases);
        Assert.Equal("ACGTCTGG", w.WithAllele("T", "C"));
        Assert.Equal("ACGTTAAATG", w.WithAllele("T", "TAAA") + "TG"[..0] + "TG"); // insertion pushes the flank out
        Assert.Equal("ACGTTTGGCC"[..8], w.WithAllele("T", "T"));
        var del = prep.Prepare(Parse("20\t9\t.\tTTG\tT\n")[0]).Window!;
        Assert.Equal("ACGTTGCC", del.WithAllele("TTG", "T")); // deletion pulls in reference bases, not N
    }

    [SkippableFact]
    public void Reads_the_bgzipped_indel_vcf()
    {
        var path = TestPaths.Shared("variants", "GRCh37_chr20_indels.vcf.gz");
        var r = VcfReader.Read(path).ToList();
        Assert.Equal(194, r.Count);
        Assert.All(r, x => Assert.Equal("20", x.Chrom));
        Assert.All(r, x => Assert.True(x.IsIndel));
    }

    [SkippableFact]
    public void Reads_the_logo_clinvar_file()
    {
        var path = TestPaths.Shared("variants", "Clinvar_nc_snv_pathogenic_177Pos_177Neg.vcf");
        var r = VcfReader.Read(path).ToList();
        Assert.Equal(354, r.Count);
        Assert.Equal(177, r.Count(x => x.Id.StartsWith("Clinvar", StringComparison.Ordinal)));
        Assert.All(r, x => Assert.True(x.IsSnv));
        Assert.Equal(7, r.Count(x => x.Chrom == "chr20"));
    }
}
