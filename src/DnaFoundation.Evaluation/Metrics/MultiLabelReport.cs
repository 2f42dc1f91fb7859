namespace DnaFoundation.Evaluation.Metrics;

/// <summary>Per-label AUROC/AUPRC of a multi-label (chromatin) head, and medians by feature group as LOGO and DeepSEA report.</summary>
public sealed record LabelScore(string Label, string Group, double Auroc, double Auprc, int Positives, int Count);

public static class MultiLabelReport
{
    /// <param name="truth">(N, L) 0/1 labels.</param>
    /// <param name="scores">(N, L) probabilities or any monotone score.</param>
    public static IReadOnlyList<LabelScore> PerLabel(byte[,] truth, float[,] scores, IReadOnlyList<string> labels, IReadOnlyList<string> groups)
    {
        int n = truth.GetLength(0), l = truth.GetLength(1);
        if (scores.GetLength(0) != n || scores.GetLength(1) != l) throw new ArgumentException("truth and scores differ in shape");
        if (labels.Count != l || groups.Count != l) throw new ArgumentException($"{l} label columns but {labels.Count} names / {groups.Count} groups");
        var result = new List<LabelScore>(l);
        for (int j = 0; j < l; j++)
        {
            var t = new bool[n];
            var s = new double[n];
            int pos = 0;
            for (int i = 0; i < n; i++) { t[i] = truth[i, j] != 0; s[i] = scores[i, j]; if (t[i]) pos++; }
            result.Add(new LabelScore(labels[j], groups[j], RankingMetrics.Auroc(t, s), RankingMetrics.Auprc(t, s), pos, n));
        }
        return result;
    }

    /// <summary>Median AUROC per group, ignoring labels whose AUROC is undefined (one class only in the test set).</summary>
    public static IReadOnlyDictionary<string, double> MedianAurocByGroup(IEnumerable<LabelScore> scores) =>
        scores.Where(s => !double.IsNaN(s.Auroc)).GroupBy(s => s.Group)
            .ToDictionary(g => g.Key, g => Statistics.Median(g.Select(s => s.Auroc)));
}
