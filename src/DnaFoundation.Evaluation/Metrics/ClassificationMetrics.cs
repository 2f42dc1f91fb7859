namespace DnaFoundation.Evaluation.Metrics;

/// <summary>
/// Label-based metrics with scikit-learn's definitions, so numbers line up with DNABERT-2's <c>train.py</c>
/// (<c>matthews_corrcoef</c>, <c>f1_score(average="macro", zero_division=0)</c>, <c>accuracy_score</c>).
/// Classes taking part in the macro averages are those seen in the truth or in the predictions, as in scikit-learn.
/// </summary>
public static class ClassificationMetrics
{
    public static double Accuracy(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        CheckLengths(truth, predicted);
        int hit = 0;
        for (int i = 0; i < truth.Length; i++) if (truth[i] == predicted[i]) hit++;
        return (double)hit / truth.Length;
    }

    /// <summary>
    /// Matthews correlation coefficient; for more than two classes Gorodkin's R_K
    /// (c·s − Σ p_k·t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)), which equals the binary MCC for two classes.
    /// 0 when a denominator term is 0 (a constant prediction or a one-class truth), as scikit-learn returns.
    /// </summary>
    public static double Mcc(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        var cm = ConfusionMatrix.From(truth, predicted);
        double s = cm.Total, c = 0, sumPt = 0, sumP2 = 0, sumT2 = 0;
        for (int k = 0; k < cm.Classes.Count; k++)
        {
            c += cm[k, k];
            double t = cm.TrueCount(k), p = cm.PredictedCount(k);
            sumPt += p * t;
            sumP2 += p * p;
            sumT2 += t * t;
        }
        double denom = Math.Sqrt((s * s - sumP2) * (s * s - sumT2));
        return denom == 0 ? 0 : (c * s - sumPt) / denom;
    }

    /// <summary>Unweighted mean over classes of F1 = 2·TP / (2·TP + FP + FN); a class with no TP, FP or FN scores 0.</summary>
    public static double MacroF1(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted) =>
        MacroAverage(truth, predicted, (tp, fp, fn) => 2.0 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn));

    public static double MacroPrecision(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted) =>
        MacroAverage(truth, predicted, (tp, fp, _) => tp + fp == 0 ? 0 : (double)tp / (tp + fp));

    public static double MacroRecall(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted) =>
        MacroAverage(truth, predicted, (tp, _, fn) => tp + fn == 0 ? 0 : (double)tp / (tp + fn));

    private static double MacroAverage(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, Func<long, long, long, double> perClass)
    {
        var cm = ConfusionMatrix.From(truth, predicted);
        double sum = 0;
        for (int k = 0; k < cm.Classes.Count; k++)
        {
            long tp = cm[k, k];
            sum += perClass(tp, cm.PredictedCount(k) - tp, cm.TrueCount(k) - tp);
        }
        return sum / cm.Classes.Count;
    }

    internal static void CheckLengths<TA, TB>(ReadOnlySpan<TA> a, ReadOnlySpan<TB> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} truth values vs {b.Length} predictions");
        if (a.Length == 0) throw new ArgumentException("no examples to score");
    }
}

/// <summary>Counts[true class, predicted class] over the classes seen in either vector (sorted).</summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] counts;

    public IReadOnlyList<int> Classes { get; }
    public long Total { get; }

    private ConfusionMatrix(IReadOnlyList<int> classes, long[,] counts, long total)
    {
        Classes = classes;
        this.counts = counts;
        Total = total;
    }

    public long this[int trueIndex, int predictedIndex] => counts[trueIndex, predictedIndex];

    public long TrueCount(int index)
    {
        long n = 0;
        for (int j = 0; j < Classes.Count; j++) n += counts[index, j];
        return n;
    }

    public long PredictedCount(int index)
    {
        long n = 0;
        for (int i = 0; i < Classes.Count; i++) n += counts[i, index];
        return n;
    }

    public static ConfusionMatrix From(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        ClassificationMetrics.CheckLengths(truth, predicted);
        var set = new SortedSet<int>();
        foreach (var t in truth) set.Add(t);
        foreach (var p in predicted) set.Add(p);
        var classes = set.ToArray();
        var index = new Dictionary<int, int>();
        for (int i = 0; i < classes.Length; i++) index[classes[i]] = i;
        var counts = new long[classes.Length, classes.Length];
        for (int i = 0; i < truth.Length; i++) counts[index[truth[i]], index[predicted[i]]]++;
        return new ConfusionMatrix(classes, counts, truth.Length);
    }
}
