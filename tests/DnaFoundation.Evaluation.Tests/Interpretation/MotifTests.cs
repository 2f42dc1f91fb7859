using System.Globalization;
using System.Text.Json;
using DnaFoundation.Evaluation.Interpretation;
using DnaFoundation.Model.Inference;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Interpretation;

public class MotifTests
{
    /// <summary>Hypergeometric tails and BH against exact rational arithmetic (tests/reference/ref_hypergeom.py).</summary>
    [Fact]
    public void Hypergeometric_tails_and_bh_match_exact_fractions()
    {
        var rows = File.ReadAllLines(TestPaths.Fixture("interpretation", "hypergeom.tsv"))[1..].Select(l => l.Split('\t')).ToList();
        var p = new List<double>();
        foreach (var f in rows)
        {
            var x = f[..4].Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            double expected = double.Parse(f[4], CultureInfo.InvariantCulture), expectedLog = double.Parse(f[5], CultureInfo.InvariantCulture);
            double got = EnrichmentStatistics.HypergeometricUpperTail(x[0], x[1], x[2], x[3]);
            Assert.True(Math.Abs(got - expected) <= 1e-10 * expected + 1e-300, $"{string.Join(',', x)}: {got} vs {expected}");
            Assert.Equal(expectedLog, EnrichmentStatistics.LogHypergeometricUpperTail(x[0], x[1], x[2], x[3]), 8);
            p.Add(expected);
        }
        var q = EnrichmentStatistics.BenjaminiHochberg(p);
        for (int i = 0; i < rows.Count; i++)
            Assert.Equal(double.Parse(rows[i][6], CultureInfo.InvariantCulture), q[i], 12);
    }

    [Fact]
    public void High_attention_regions_are_runs_above_the_mean_merged_across_small_gaps_and_long_enough()
    {
        //              0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
        double[] s = [1, 1, 5, 5, 5, 1, 5, 5, 1, 1, 1, 5, 5, 1, 1, double.NaN];   // mean of the seen = 2.4
        var o = new MotifOptions { MinRegion = 4, MaxGap = 1 };
        Assert.Equal([(2, 8)], MotifDiscovery.HighAttentionRegions(s, o));        // 2-5 and 6-8 merge; 11-13 is too short
        Assert.Equal([(2, 5)], MotifDiscovery.HighAttentionRegions(s, o with { MaxGap = 0, MinRegion = 3 }));
    }

    [Fact]
    public void Words_align_at_their_shift_and_consensus_uses_iupac()
    {
        Assert.Equal((1, 5), MotifDiscovery.Align("ATAAGC", "GATAAG", 6));        // one to the right, 5 matches
        Assert.Null(MotifDiscovery.Align("CCCCCC", "GATAAG", 6));
        Assert.Equal("GYN", MotifDiscovery.Consensus([[0, 0, 1, 0], [0.05, 0.45, 0.05, 0.45], [0.25, 0.25, 0.25, 0.25]]));
    }

    /// <summary>
    /// Planted motif, attention injected through the seam (MotifInput.Scores): high over each planted instance and
    /// over one random decoy stretch per positive, low and noisy elsewhere. The top motif is the planted one.
    /// </summary>
    [Fact]
    public void Planted_motif_is_recovered_from_injected_attention()
    {
        var report = MotifDiscovery.Discover(PlantedInputs(out _), new MotifOptions { MaxAdjustedP = 0.01 });
        Assert.NotEmpty(report.Motifs);
        var top = report.Motifs[0];
        double r = PlantedMotifs.BestColumnCorrelation(top.Pwm, PlantedMotifs.Pwm);
        Assert.True(r >= 0.8, $"top motif {top.Consensus} correlates {r:F2} with the planted PWM");
        Assert.Contains("GATAAG", top.Consensus.Replace('Y', 'C'));
        Assert.True(top.PositivesWith > 3 * top.NegativesWith, $"{top.PositivesWith} positives vs {top.NegativesWith} negatives");
        Assert.True(top.AdjustedP < 1e-10);
        Assert.All(top.Instances, i => Assert.True(i.Input.Positive));
    }

    /// <summary>
    /// The planted motif on either strand: every other positive carries its instance reverse-complemented (attention
    /// over it as before). Searched on the forward strand only, the site splits into a motif and its reverse
    /// complement, each in about half the positives; on both strands it is one motif in all of them, with minus-strand
    /// instances whose span, reverse-complemented, is the instance.
    /// </summary>
    [Fact]
    public void A_motif_planted_on_both_strands_is_one_motif_when_both_strands_are_searched()
    {
        var inputs = PlantedInputs(out var planted, reverseEveryOther: true);
        var both = MotifDiscovery.Discover(inputs, new MotifOptions { MaxAdjustedP = 0.01, Strands = MotifStrands.Both });
        var forward = MotifDiscovery.Discover(inputs, new MotifOptions { MaxAdjustedP = 0.01, Strands = MotifStrands.Forward });
        Assert.Equal(MotifStrands.Both, both.Strands);
        Assert.Equal(MotifStrands.Forward, forward.Strands);

        var top = both.Motifs[0];
        Assert.True(PlantedMotifs.BestColumnCorrelation(top.Pwm, PlantedMotifs.Pwm) >= 0.8, $"top motif {top.Consensus}");
        int minus = top.Instances.Count(i => i.Strand == '-');
        Assert.InRange(minus, top.Instances.Count / 4, 3 * top.Instances.Count / 4);
        foreach (var i in top.Instances)
        {
            var span = i.Input.Sequence.Substring(i.Start, i.Bases.Length);
            Assert.Equal(i.Bases, i.Strand == '+' ? span : DnaFoundation.Tokenizers.DnaAlphabet.ReverseComplement(span));
        }

        // forward only: the best planted-like motif covers about half the positives the two-strand one covers
        var forwardBest = forward.Motifs.Where(m => PlantedMotifs.BestColumnCorrelation(m.Pwm, PlantedMotifs.Pwm) >= 0.8).Max(m => m.PositivesWith);
        Assert.True(top.PositivesWith >= 1.5 * forwardBest, $"both strands: {top.PositivesWith} positives; forward only: {forwardBest}");
        Assert.True(top.PositivesWith > 3 * top.NegativesWith, $"{top.PositivesWith} positives vs {top.NegativesWith} negatives");
        Assert.True(top.AdjustedP < both.Motifs.Where(m => m != top).Select(m => m.AdjustedP).DefaultIfEmpty(1).Min());

        Assert.Equal(both.Background[0], both.Background[3], 12);                 // A = T and C = G on both strands
        Assert.Equal(both.Background[1], both.Background[2], 12);
        Assert.Contains("strands: + -\n", MemeMotifFile.Format(both.Motifs, both.Background, both.Strands));
        Assert.Contains("strands: +\n", MemeMotifFile.Format(forward.Motifs, forward.Background, forward.Strands));
    }

    [Fact]
    public void Auto_searches_both_strands_for_genomic_regions_and_the_forward_strand_for_given_sequences()
    {
        MotifInput Seq(bool located) => new("s", "ACGT", true, null, located ? "chr1" : null, 0);
        Assert.Equal(MotifStrands.Both, MotifDiscovery.Resolve(MotifStrands.Auto, [Seq(true), Seq(true)]));
        Assert.Equal(MotifStrands.Forward, MotifDiscovery.Resolve(MotifStrands.Auto, [Seq(true), Seq(false)]));
        Assert.Equal(MotifStrands.Forward, MotifDiscovery.Resolve(MotifStrands.Forward, [Seq(true)]));
        Assert.Equal(MotifStrands.Both, MotifDiscovery.Resolve(MotifStrands.Both, [Seq(false)]));
        Assert.Equal("AACGGT", MotifDiscovery.Canonical("ACCGTT"));                 // its reverse complement sorts first
        Assert.Equal("AACGTT", MotifDiscovery.Canonical("AACGTT"));                 // a palindrome is itself
    }

    internal static List<MotifInput> PlantedInputs(out PlantedMotifs planted, bool reverseEveryOther = false)
    {
        planted = new PlantedMotifs(300, 60, 11);
        var rng = new Random(5);
        var inputs = new List<MotifInput>();
        for (int i = 0; i < planted.Rows.Count; i++)
        {
            var row = planted.Rows[i];
            if (row.Label == 0)
            {
                // negatives carry no copy of the core on either strand
                inputs.Add(new MotifInput(row.Id, reverseEveryOther ? row.Sequence.Replace("CTTATC", "CTGATC") : row.Sequence, false, null));
                continue;
            }
            if (reverseEveryOther && i % 4 == 3)
            {
                int at = planted.Sites[i], w = PlantedMotifs.Pwm.Length;
                row = row with { Sequence = row.Sequence[..at] + DnaFoundation.Tokenizers.DnaAlphabet.ReverseComplement(row.Sequence.Substring(at, w)) + row.Sequence[(at + w)..] };
            }
            var scores = Enumerable.Range(0, row.Sequence.Length).Select(_ => 1 + 0.5 * rng.NextDouble()).ToArray();
            for (int p = planted.Sites[i]; p < planted.Sites[i] + PlantedMotifs.Pwm.Length; p++) scores[p] = 4 + rng.NextDouble();
            int decoy = rng.Next(row.Sequence.Length - 7);
            for (int p = decoy; p < decoy + 7; p++) scores[p] = 4 + rng.NextDouble();
            inputs.Add(new MotifInput(row.Id, row.Sequence, true, scores, "chrT", 1000L * i));
        }
        return inputs;
    }

    /// <summary>The MEME file passes a strict reader written from the format's description (tests/reference/meme_check.py) and carries the PWMs.</summary>
    [SkippableFact]
    public void Meme_file_is_read_back_by_an_independent_strict_reader()
    {
        var python = ExternalTool.Require("python3", "python3");
        var report = MotifDiscovery.Discover(PlantedInputs(out _), new MotifOptions { MaxAdjustedP = 0.01 });
        using var d = new TempDir("meme");
        var path = d.File("motifs.meme");
        MemeMotifFile.Write(path, report.Motifs, report.Background);
        var json = ExternalTool.Check(python, Path.Combine(TestPaths.RepoRoot, "tests", "reference", "meme_check.py"), path);
        using var doc = JsonDocument.Parse(json);
        var motifs = doc.RootElement.GetProperty("motifs").EnumerateArray().ToList();
        Assert.Equal(report.Motifs.Count, motifs.Count);
        for (int m = 0; m < motifs.Count; m++)
        {
            Assert.Equal(report.Motifs[m].Id, motifs[m].GetProperty("id").GetString());
            Assert.Equal(report.Motifs[m].Consensus, motifs[m].GetProperty("alt").GetString());
            Assert.Equal(report.Motifs[m].Instances.Count, motifs[m].GetProperty("nsites").GetInt32());
            var rows = motifs[m].GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
            Assert.Equal(report.Motifs[m].Pwm.Length, rows.Length);
            for (int i = 0; i < rows.Length; i++) for (int b = 0; b < 4; b++) Assert.True(Math.Abs(report.Motifs[m].Pwm[i][b] - rows[i][b]) <= 5e-7);
        }
        // and it rejects what the format forbids (the reader is really strict)
        File.WriteAllText(d.File("bad.meme"), File.ReadAllText(path).Replace("alength= 4", "alength= 5"));
        Assert.Equal(1, ExternalTool.Run(python, Path.Combine(TestPaths.RepoRoot, "tests", "reference", "meme_check.py"), d.File("bad.meme")).ExitCode);
    }

    /// <summary>Base scores spread the CLS row of the last layer over the bases of each k-mer, equal to the attention maps' numbers.</summary>
    [Fact]
    public void Base_attention_is_the_cls_row_spread_over_covered_bases()
    {
        var tok = DnaTokenizers.Load("kmer:3");
        random.manual_seed(4);
        using var model = DnaFoundation.Model.ModelFactory.Create(FineTuning.ToyData.Config() with { VocabSize = tok.VocabSize, PadTokenId = tok.PadId, MaskTokenId = tok.MaskId }, DnaFoundation.Model.ModelHeads.None);
        var runner = new InferenceRunner(model, CPU, InferenceOptions.Default with { BatchSize = 2, SortWindow = 2 });
        string[] seqs = ["ACGTTGCAAGCTTG", "GGATCCTTAGCAACGTAC", "TTTACG"];
        var scores = BaseAttention.Compute(runner, tok, seqs, 64).ToList();
        var maps = DnaFoundation.Evaluation.Attention.AttentionResult.ComputeAll(runner, tok, seqs.Select((s, i) => ($"s{i}", s)), 64).ToList();
        for (int i = 0; i < seqs.Length; i++)
        {
            var last = maps[i].Layers[^1];
            int heads = last.Length;
            for (int p = 0; p < seqs[i].Length; p++)
            {
                // tokens 1..n−2 are the k-mers; k-mer j covers bases j..j+2
                var covering = Enumerable.Range(0, seqs[i].Length - 2).Where(j => j <= p && p < j + 3).ToList();
                double expected = covering.Average(j => Enumerable.Range(0, heads).Average(h => (double)last[h][0][j + 1]));
                Assert.Equal(expected, scores[i][p], 5);
            }
        }
    }
}
