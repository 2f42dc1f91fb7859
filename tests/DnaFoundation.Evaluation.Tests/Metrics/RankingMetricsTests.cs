using DnaFoundation.Evaluation.Metrics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DnaFoundation.Evaluation.Tests.Metrics;

public class RankingMetricsTests
{
    [Fact]
    public void Auroc_counts_correctly_ordered_pairs()
    {
        // pairs (pos, neg): 0.9>0.8, 0.9>0.3, 0.4<0.8, 0.4>0.3 → 3 of 4
        Assert.Equal(0.75, RankingMetrics.Auroc([true, false, true, false], [0.9, 0.8, 0.4, 0.3]), 12);
    }

    [Fact]
    public void Auroc_counts_a_tie_as_half()
    {
        // 0.5 vs 0.5 tie (½), 0.5 > 0.1, 0.7 beats both → 3.5 / 4
        Assert.Equal(0.875, RankingMetrics.Auroc([true, false, true, false], [0.5, 0.5, 0.7, 0.1]), 12);
        Assert.Equal(0.5, RankingMetrics.Auroc([true, false, true, false], [1, 1, 1, 1]), 12);
    }

    [Fact]
    public void Auprc_is_average_precision_over_thresholds()
    {
        // 0.9: R .5, P 1 → .5; 0.8: R unchanged; 0.4: R 1, P 2/3 → + .5·2/3; 0.3: R unchanged
        Assert.Equal(0.5 + 1.0 / 3, RankingMetrics.Auprc([true, false, true, false], [0.9, 0.8, 0.4, 0.3]), 12);
        // tie group {0.5, 0.5} enters at once: 0.7 → .5·1; then R 1, P 2/3
        Assert.Equal(0.5 + 1.0 / 3, RankingMetrics.Auprc([true, false, true, false], [0.5, 0.5, 0.7, 0.1]), 12);
        // all tied: one threshold, P = prevalence
        Assert.Equal(0.25, RankingMetrics.Auprc([true, false, false, false], [3, 3, 3, 3]), 12);
    }

    [Fact]
    public void One_class_truth_gives_nan()
    {
        Assert.True(double.IsNaN(RankingMetrics.Auroc([true, true], [0.1, 0.2])));
        Assert.True(double.IsNaN(RankingMetrics.Auprc([false, false], [0.1, 0.2])));
    }

    [Fact]
    public void Nan_scores_are_refused()
    {
        Assert.Throws<ArgumentException>(() => RankingMetrics.Auroc([true, false], [double.NaN, 0.2]));
    }

    [Property(MaxTest = 200)]
    public Property Auroc_equals_the_brute_force_pair_count()
    {
        var gen = Gen.Zip(Gen.Elements(true, false), Gen.Choose(0, 5)).ListOf().Where(l => l.Count >= 2);
        return Prop.ForAll(gen.ToArbitrary(), rows =>
        {
            var truth = rows.Select(r => r.Item1).ToArray();
            var score = rows.Select(r => (double)r.Item2).ToArray();
            double wins = 0, pairs = 0;
            for (int i = 0; i < truth.Length; i++)
                for (int j = 0; j < truth.Length; j++)
                    if (truth[i] && !truth[j]) { pairs++; wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0; }
            var auc = RankingMetrics.Auroc(truth, score);
            return pairs == 0 ? double.IsNaN(auc) : Math.Abs(auc - wins / pairs) < 1e-12;
        });
    }

    [Property(MaxTest = 100)]
    public Property Negating_the_score_mirrors_auroc()
    {
        var gen = Gen.Zip(Gen.Elements(true, false), Gen.Choose(0, 100)).ListOf().Where(l => l.Any(r => r.Item1) && l.Any(r => !r.Item1));
        return Prop.ForAll(gen.ToArbitrary(), rows =>
        {
            var truth = rows.Select(r => r.Item1).ToArray();
            var score = rows.Select(r => (double)r.Item2).ToArray();
            return Math.Abs(RankingMetrics.Auroc(truth, score) + RankingMetrics.Auroc(truth, score.Select(s => -s).ToArray()) - 1) < 1e-12;
        });
    }
}
