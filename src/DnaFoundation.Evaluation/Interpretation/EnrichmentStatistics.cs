namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>The hypergeometric enrichment test and Benjamini–Hochberg adjustment motif discovery uses.</summary>
public static class EnrichmentStatistics
{
    /// <summary>
    /// P(X ≥ <paramref name="observed"/>) for X ~ Hypergeometric(population, successes, draws): the chance that
    /// <paramref name="draws"/> sequences taken at random from <paramref name="population"/>, of which
    /// <paramref name="successes"/> are positives, include at least <paramref name="observed"/> positives. Summed
    /// term by term in log space from log-factorials, so tails far below 1e−300 keep their exponent.
    /// </summary>
    public static double HypergeometricUpperTail(int population, int successes, int draws, int observed) =>
        Math.Exp(LogHypergeometricUpperTail(population, successes, draws, observed));

    /// <summary>log of <see cref="HypergeometricUpperTail"/>.</summary>
    public static double LogHypergeometricUpperTail(int population, int successes, int draws, int observed)
    {
        if (population < 0 || successes < 0 || draws < 0 || successes > population || draws > population)
            throw new ArgumentOutOfRangeException(nameof(population), $"hypergeometric({population}, {successes}, {draws}) is not defined");
        int lo = Math.Max(0, draws - (population - successes)), hi = Math.Min(successes, draws);
        int from = Math.Max(observed, lo);
        if (from > hi) return double.NegativeInfinity;
        double logTotal = LogChoose(population, draws);
        double max = double.NegativeInfinity;
        var terms = new double[hi - from + 1];
        for (int k = from; k <= hi; k++)
        {
            terms[k - from] = LogChoose(successes, k) + LogChoose(population - successes, draws - k) - logTotal;
            max = Math.Max(max, terms[k - from]);
        }
        double sum = 0;
        foreach (var t in terms) sum += Math.Exp(t - max);
        return Math.Min(0, max + Math.Log(sum));
    }

    private static double LogChoose(int n, int k) => LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);

    private static readonly List<double> LogFactorials = [0.0];

    private static double LogFactorial(int n)
    {
        lock (LogFactorials)
        {
            // exact sums of logs (no Stirling approximation), cached: n is a sequence count
            for (int i = LogFactorials.Count; i <= n; i++) LogFactorials.Add(LogFactorials[i - 1] + Math.Log(i));
            return LogFactorials[n];
        }
    }

    /// <summary>Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1), in the input's order.</summary>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> p)
    {
        int m = p.Count;
        var order = Enumerable.Range(0, m).OrderByDescending(i => p[i]).ToArray();
        var q = new double[m];
        double running = 1;
        for (int r = 0; r < m; r++)
        {
            int i = order[r];
            int rank = m - r;                     // 1-based rank in ascending order
            running = Math.Min(running, p[i] * m / rank);
            q[i] = Math.Min(1, running);
        }
        return q;
    }
}
