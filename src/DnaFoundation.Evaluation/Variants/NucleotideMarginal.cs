using DnaFoundation.Tokenizers;

namespace DnaFoundation.Evaluation.Variants;

/// <summary>
/// Nucleotide-level probabilities read off a masked token's predicted distribution over the vocabulary, for
/// vocabularies (BPE) where the reference token with one base changed is usually not itself a token.
/// For a masked span of <c>L</c> bases and a position <c>at</c> inside it:
/// <c>P(b) = Σ p(t) over tokens t with |t| = L and t[at] = b, divided by Σ p(t) over tokens with |t| = L</c>.
/// Conditioning on the span's length keeps the candidates aligned with the reference segmentation (a token of
/// another length would not cover the same bases); the normalisation cancels in an LLR but makes the four values a
/// distribution. Specials and tokens spelled with anything but A/C/G/T take no part.
/// </summary>
public sealed class NucleotideMarginal
{
    private const string Bases = "ACGT";
    // byLength[L] = (ids, spellings) of the ACGT tokens of length L
    private readonly Dictionary<int, (int[] Ids, string[] Tokens)> byLength;

    public NucleotideMarginal(TokenVocabulary vocabulary)
    {
        byLength = Enumerable.Range(0, vocabulary.Count)
            .Where(id => !vocabulary.IsSpecial(id) && vocabulary[id].Length > 0 && vocabulary[id].All(c => Bases.Contains(c)))
            .GroupBy(id => vocabulary[id].Length)
            .ToDictionary(g => g.Key, g => (g.ToArray(), g.Select(id => vocabulary[id]).ToArray()));
    }

    /// <summary>
    /// log P(A), log P(C), log P(G), log P(T) at position <paramref name="at"/> of a masked span of
    /// <paramref name="length"/> bases, from the log-probabilities over the whole vocabulary at that position.
    /// −∞ for a base no token of that length has there; all −∞ when the vocabulary has no token of that length.
    /// </summary>
    public double[] BaseLogProbabilities(ReadOnlySpan<float> vocabularyLogProbs, int length, int at)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(at);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(at, length);
        var result = new double[4];
        Array.Fill(result, double.NegativeInfinity);
        if (!byLength.TryGetValue(length, out var group)) return result;
        // log-sum-exp per base, in double, shifted by the group's maximum so no term underflows to zero
        double max = double.NegativeInfinity;
        foreach (var id in group.Ids) max = Math.Max(max, vocabularyLogProbs[id]);
        if (double.IsNegativeInfinity(max)) return result;
        var sums = new double[4];
        for (int i = 0; i < group.Ids.Length; i++)
            sums[Bases.IndexOf(group.Tokens[i][at])] += Math.Exp(vocabularyLogProbs[group.Ids[i]] - max);
        double total = sums.Sum();
        for (int b = 0; b < 4; b++)
            if (sums[b] > 0) result[b] = Math.Log(sums[b] / total);
        return result;
    }

    /// <summary>log P(alt) − log P(ref) at the position; null when either base has no token of that length there.</summary>
    public double? Llr(ReadOnlySpan<float> vocabularyLogProbs, int length, int at, char refBase, char altBase)
    {
        var lp = BaseLogProbabilities(vocabularyLogProbs, length, at);
        int r = Bases.IndexOf(char.ToUpperInvariant(refBase)), a = Bases.IndexOf(char.ToUpperInvariant(altBase));
        if (r < 0 || a < 0) return null;
        return double.IsFinite(lp[r]) && double.IsFinite(lp[a]) ? lp[a] - lp[r] : null;
    }

    /// <summary>Whether the four single-base tokens exist (true for any BPE vocabulary built from the alphabet).</summary>
    public bool HasSingleBases => byLength.TryGetValue(1, out var g) && Bases.All(b => g.Tokens.Contains(b.ToString()));
}
