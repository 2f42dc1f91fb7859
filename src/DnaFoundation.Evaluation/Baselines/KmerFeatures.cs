namespace DnaFoundation.Evaluation.Baselines;

/// <summary>
/// Canonical k-mer spectrum of a sequence: each k-mer and its reverse complement share one feature (strand does not
/// matter for chromatin marks), counts divided by the number of k-mers without N. (4^k + palindromes) / 2 features.
/// </summary>
public sealed class KmerFeatures
{
    private readonly int[] canonicalIndex;

    public int K { get; }
    public int Count { get; }

    public KmerFeatures(int k)
    {
        if (k is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(k), "k must be 1..10");
        K = k;
        int n = 1 << (2 * k);
        canonicalIndex = new int[n];
        var seen = new Dictionary<int, int>();
        for (int code = 0; code < n; code++)
        {
            int canonical = Math.Min(code, ReverseComplement(code, k));
            if (!seen.TryGetValue(canonical, out var index)) seen[canonical] = index = seen.Count;
            canonicalIndex[code] = index;
        }
        Count = seen.Count;
    }

    /// <summary>Fills <paramref name="destination"/> (length <see cref="Count"/>) with k-mer frequencies.</summary>
    public void Featurize(ReadOnlySpan<char> sequence, Span<float> destination)
    {
        destination.Clear();
        int mask = (1 << (2 * K)) - 1, code = 0, valid = 0, total = 0;
        foreach (var c in sequence)
        {
            int b = c switch { 'A' or 'a' => 0, 'C' or 'c' => 1, 'G' or 'g' => 2, 'T' or 't' => 3, _ => -1 };
            if (b < 0) { valid = 0; code = 0; continue; }
            code = ((code << 2) | b) & mask;
            if (++valid >= K) { destination[canonicalIndex[code]]++; total++; }
        }
        if (total > 0)
            for (int i = 0; i < destination.Length; i++) destination[i] /= total;
    }

    internal static int ReverseComplement(int code, int k)
    {
        int rc = 0;
        for (int i = 0; i < k; i++)
        {
            rc = (rc << 2) | (3 - (code & 3));
            code >>= 2;
        }
        return rc;
    }
}
