using DnaFoundation.Evaluation.Datasets;

namespace DnaFoundation.Evaluation.Tests.Interpretation;

/// <summary>
/// Labelled sequences with a planted motif: positives carry one instance sampled from <see cref="Pwm"/> (so
/// instances have mismatches) at a random place in uniform random background; negatives are the same background with
/// no instance (accidental copies of the consensus are broken). Where each instance went is recorded.
/// </summary>
internal sealed class PlantedMotifs
{
    private const string Bases = "ACGT";

    /// <summary>A GATA-like 8-bp motif: strong core, one softer column.</summary>
    public static readonly double[][] Pwm =
    [
        [0.05, 0.05, 0.85, 0.05], // G
        [0.85, 0.05, 0.05, 0.05], // A
        [0.05, 0.05, 0.05, 0.85], // T
        [0.85, 0.05, 0.05, 0.05], // A
        [0.85, 0.05, 0.05, 0.05], // A
        [0.05, 0.05, 0.85, 0.05], // G
        [0.05, 0.45, 0.05, 0.45], // C/T
        [0.05, 0.85, 0.05, 0.05], // C
    ];

    public const string Consensus = "GATAAGCC";

    /// <param name="exact">Plant the consensus itself instead of PWM samples.</param>
    public PlantedMotifs(int n, int length, int seed, bool exact = false)
    {
        var rng = new Random(seed);
        for (int i = 0; i < n; i++)
        {
            int label = i % 2;
            var s = new char[length];
            for (int p = 0; p < length; p++) s[p] = Bases[rng.Next(4)];
            var text = new string(s).Replace("GATAAG", "GATCAG");
            int at = -1;
            if (label == 1)
            {
                at = rng.Next(length - Pwm.Length + 1);
                var inst = exact ? Consensus : new string(Pwm.Select(col => Sample(col, rng)).ToArray());
                text = text[..at] + inst + text[(at + Pwm.Length)..];
            }
            Rows.Add(new LabeledSequence($"seq{i}", text, label));
            Sites.Add(at);
        }
    }

    public List<LabeledSequence> Rows { get; } = [];

    /// <summary>Where each row's instance starts (0-based), −1 for negatives.</summary>
    public List<int> Sites { get; } = [];

    private static char Sample(double[] column, Random rng)
    {
        double u = rng.NextDouble(), c = 0;
        for (int b = 0; b < 4; b++)
        {
            c += column[b];
            if (u < c) return Bases[b];
        }
        return Bases[3];
    }

    /// <summary>Pearson correlation of two PWMs' cells at the best ungapped offset (overlap ≥ the shorter's length − 2), either strand.</summary>
    public static double BestColumnCorrelation(double[][] a, double[][] b)
    {
        double best = -1;
        foreach (var bb in new[] { b, b.Reverse().Select(c => c.Reverse().ToArray()).ToArray() })
            for (int shift = -bb.Length + 1; shift < a.Length; shift++)
            {
                var x = new List<double>();
                var y = new List<double>();
                for (int i = 0; i < a.Length; i++)
                {
                    int j = i - shift;
                    if (j < 0 || j >= bb.Length) continue;
                    x.AddRange(a[i]);
                    y.AddRange(bb[j]);
                }
                if (x.Count / 4 < Math.Min(a.Length, bb.Length) - 2) continue;
                best = Math.Max(best, Pearson(x, y));
            }
        return best;
    }

    private static double Pearson(List<double> x, List<double> y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
