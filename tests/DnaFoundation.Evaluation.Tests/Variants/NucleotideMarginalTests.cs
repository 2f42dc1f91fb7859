using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Evaluation.Tests.Variants;

public class NucleotideMarginalTests
{
    // specials 0–4, bases 5–8, then AA AC GT TA (length 2) and ACG (length 3)
    private static readonly string[] Tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "C", "G", "T", "AA", "AC", "GT", "TA", "ACG"];
    private static readonly TokenVocabulary Vocab = new(Tokens, Tokens[..5]);

    /// <summary>Log-probabilities of a hand-chosen distribution (need not sum to 1: only ratios within a length matter).</summary>
    private static float[] LogP(params (string Token, double P)[] ps)
    {
        var lp = Enumerable.Repeat((float)Math.Log(1e-3), Tokens.Length).ToArray();
        foreach (var (t, p) in ps) lp[Array.IndexOf(Tokens, t)] = (float)Math.Log(p);
        return lp;
    }

    private static readonly float[] Case = LogP(("AA", 0.1), ("AC", 0.2), ("GT", 0.3), ("TA", 0.05), ("[MASK]", 0.9), ("A", 0.4));

    [Fact]
    public void Base_probabilities_sum_same_length_tokens_by_the_base_at_the_position()
    {
        var m = new NucleotideMarginal(Vocab);
        // length 2, position 0: A ← AA, AC; G ← GT; T ← TA; no length-2 token starts with C. Total 0.65.
        var p0 = m.BaseLogProbabilities(Case, 2, 0);
        Assert.Equal(Math.Log(0.30 / 0.65), p0[0], 6);
        Assert.Equal(double.NegativeInfinity, p0[1]);
        Assert.Equal(Math.Log(0.30 / 0.65), p0[2], 6);
        Assert.Equal(Math.Log(0.05 / 0.65), p0[3], 6);
        // position 1: A ← AA, TA; C ← AC; T ← GT; no G
        var p1 = m.BaseLogProbabilities(Case, 2, 1);
        Assert.Equal(Math.Log(0.15 / 0.65), p1[0], 6);
        Assert.Equal(Math.Log(0.20 / 0.65), p1[1], 6);
        Assert.Equal(double.NegativeInfinity, p1[2]);
        Assert.Equal(Math.Log(0.30 / 0.65), p1[3], 6);
        Assert.Equal(1.0, p1.Where(double.IsFinite).Sum(Math.Exp), 6); // a distribution over the bases
        // length 1: the single-base tokens themselves (1e-3 each except A)
        Assert.Equal(Math.Log(0.4 / 0.403), m.BaseLogProbabilities(Case, 1, 0)[0], 5);
        // length 3 has one token: ACG, so position 2 is G with certainty
        Assert.Equal(0, m.BaseLogProbabilities(Case, 3, 2)[2], 9);
        Assert.All(m.BaseLogProbabilities(Case, 4, 0), v => Assert.Equal(double.NegativeInfinity, v));
    }

    [Fact]
    public void Llr_is_hand_computed_negated_by_swapping_and_undefined_without_a_token()
    {
        var m = new NucleotideMarginal(Vocab);
        Assert.Equal(Math.Log(0.30 / 0.20), m.Llr(Case, 2, 1, 'C', 'T')!.Value, 6);
        Assert.Equal(-Math.Log(0.30 / 0.20), m.Llr(Case, 2, 1, 'T', 'C')!.Value, 6);
        Assert.Equal(Math.Log(0.05 / 0.30), m.Llr(Case, 2, 0, 'A', 'T')!.Value, 6);
        Assert.Equal(0, m.Llr(Case, 2, 0, 'a', 'G')!.Value, 6); // case folded; A and G both 0.30
        Assert.Null(m.Llr(Case, 2, 0, 'A', 'C'));               // no length-2 token starts with C
        Assert.Null(m.Llr(Case, 2, 0, 'A', 'N'));
    }

    [Fact]
    public void Specials_and_the_overall_normaliser_do_not_matter()
    {
        var m = new NucleotideMarginal(Vocab);
        var shifted = Case.Select(x => x - 7.5f).ToArray();
        shifted[4] = 50; // [MASK] with almost all the mass
        Assert.Equal(m.Llr(Case, 2, 1, 'C', 'T')!.Value, m.Llr(shifted, 2, 1, 'C', 'T')!.Value, 5);
        Assert.True(m.HasSingleBases);
        Assert.False(new NucleotideMarginal(new TokenVocabulary(["[UNK]", "A", "C"], ["[UNK]"])).HasSingleBases);
    }
}
