namespace DnaFoundation.Evaluation.Metrics;

/// <summary>
/// Threshold-free metrics of a score against binary truth. Ties in the score are handled exactly:
/// AUROC counts a tied positive/negative pair as ½ (Mann–Whitney U with average ranks, = scikit-learn's
/// <c>roc_auc_score</c>); AUPRC is average precision, Σ_n (R_n − R_{n−1})·P_n over distinct thresholds taken
/// from the highest score down (= scikit-learn's <c>average_precision_score</c>; no trapezoid, which is optimistic).
/// Both are NaN when the truth holds only one class: no ranking can be judged then.
/// </summary>
public static class RankingMetrics
{
    public static double Auroc(ReadOnlySpan<bool> truth, ReadOnlySpan<double> score)
    {
        ClassificationMetrics.CheckLengths(truth, score);
        var order = SortedDescending(score);
        long pos = 0, neg = 0;
        foreach (var t in truth) if (t) pos++; else neg++;
        if (pos == 0 || neg == 0) return double.NaN;

        // Walk tie groups from the top: each positive scores 1 for every negative ranked strictly below it, ½ per tie.
        double wins = 0;
        long negAbove = 0;
        int i = 0;
        while (i < order.Length)
        {
            int j = i;
            long groupPos = 0, groupNeg = 0;
            while (j < order.Length && score[order[j]] == score[order[i]])
            {
                if (truth[order[j]]) groupPos++; else groupNeg++;
                j++;
            }
            // Positives in this group beat every negative below the group and tie with the group's negatives.
            wins += groupPos * (neg - negAbove - groupNeg) + 0.5 * groupPos * groupNeg;
            negAbove += groupNeg;
            i = j;
        }
        return wins / ((double)pos * neg);
    }

    public static double Auprc(ReadOnlySpan<bool> truth, ReadOnlySpan<double> score)
    {
        ClassificationMetrics.CheckLengths(truth, score);
        var order = SortedDescending(score);
        long pos = 0;
        foreach (var t in truth) if (t) pos++;
        if (pos == 0 || pos == truth.Length) return double.NaN;

        double ap = 0, lastRecall = 0;
        long tp = 0, seen = 0;
        int i = 0;
        while (i < order.Length)
        {
            int j = i;
            while (j < order.Length && score[order[j]] == score[order[i]])
            {
                if (truth[order[j]]) tp++;
                seen++;
                j++;
            }
            double recall = (double)tp / pos, precision = (double)tp / seen;
            ap += (recall - lastRecall) * precision;
            lastRecall = recall;
            i = j;
        }
        return ap;
    }

    private static int[] SortedDescending(ReadOnlySpan<double> score)
    {
        for (int i = 0; i < score.Length; i++)
            if (double.IsNaN(score[i])) throw new ArgumentException($"score {i} is NaN");
        var copy = score.ToArray();
        var order = Enumerable.Range(0, score.Length).ToArray();
        Array.Sort(order, (a, b) => copy[b].CompareTo(copy[a]));
        return order;
    }
}
