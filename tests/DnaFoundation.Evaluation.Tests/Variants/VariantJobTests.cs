using DnaFoundation.Core;
using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Variants;

/// <summary>score-variants as a job: model directory, VCF and FASTA files in, one table out (or none on bad input).</summary>
public class VariantJobTests
{
    private static VariantScoringRequest Setup(TempDir d, string vcf)
    {
        var modelDir = d.File("mlm");
        using (var m = ToyData.Model(31, ModelHeads.MaskedLm)) ModelDirectory.Save(m, modelDir);
        // contig "chr7" of 40 bp; the VCF says "7"
        File.WriteAllText(d.File("ref.fa"), ">chr7\nACGTACGTTTGGCCAAACGTACGTTTGGCCAAACGTACGT\n");
        File.WriteAllText(d.File("v.vcf"), vcf);
        return new VariantScoringRequest(modelDir, "char", d.File("v.vcf"), d.File("ref.fa"), d.File("out.tsv"), 16,
            VariantScores.Llr, 1, new Dictionary<string, int>());
    }

    [Fact]
    public void A_malformed_line_fails_naming_file_and_line_and_writes_no_output()
    {
        using var d = new TempDir("vjob-bad");
        var req = Setup(d, "##fileformat=VCFv4.2\n7\t1\ta\tA\tG\n7\t2\tb\tC\n");
        var e = Assert.Throws<DnaInputException>(() => new VariantScoringJob(CPU).Run(req));
        Assert.Equal(3, e.Line);
        Assert.EndsWith("v.vcf", e.File);
        Assert.False(File.Exists(req.Output));
        Assert.Empty(Directory.GetFiles(d.Path, "out.tsv*")); // no temporary left behind either
    }

    [Fact]
    public void Contig_ends_aliases_multiallelics_and_mismatches_in_one_file()
    {
        using var d = new TempDir("vjob-edge");
        // first base (window runs off the left end), last base (right end), a two-ALT line, a wrong REF, an unknown contig
        var req = Setup(d, "7\t1\tfirst\tA\tG\n7\t40\tlast\tT\tC\n7\t9\tmulti\tT\tA,C\n7\t5\twrong\tC\tG\n9\t5\tnowhere\tA\tG\n7\t41\tbeyond\tA\tG\n");
        var (rows, _) = new VariantScoringJob(CPU).Run(req);
        Assert.Equal(["first", "last", "multi", "multi", "wrong", "nowhere", "beyond"], rows.Select(r => r.Id));
        Assert.Equal(["ok", "ok", "ok", "ok", VariantStatus.RefMismatch, VariantStatus.ContigNotFound, VariantStatus.OutOfRange], rows.Select(r => r.Status));
        Assert.All(rows.Take(4), r => { Assert.Equal("chr7", r.Contig); Assert.NotNull(r.Llr); Assert.Equal(LlrMethods.Token, r.LlrMethod); });
        Assert.Equal(["A", "C"], rows.Where(r => r.Id == "multi").Select(r => r.Alt));
        Assert.Equal("A", rows[4].FastaRef);
        Assert.All(rows.Skip(4), r => Assert.Null(r.Llr));
        var tsv = File.ReadAllLines(req.Output);
        Assert.Equal(8, tsv.Length);
        Assert.Contains("llr_method", tsv[0].Split('\t'));
    }
}
