using DnaFoundation.Evaluation.Metrics;

namespace DnaFoundation.Evaluation.Tests.Metrics;

// Expected values are worked out by hand in the comments (and agree with scikit-learn's definitions).
public class ClassificationMetricsTests
{
    // TP = 3 (0, 2, 7), FN = 1 (1), TN = 3 (3, 4, 6), FP = 1 (5).
    private static readonly int[] BinTruth = [1, 1, 1, 0, 0, 0, 0, 1];
    private static readonly int[] BinPred = [1, 0, 1, 0, 0, 1, 0, 1];

    [Fact]
    public void Binary_mcc_is_tp_tn_minus_fp_fn_over_root_of_margins()
    {
        // (3·3 − 1·1) / √(4·4·4·4) = 8 / 16
        Assert.Equal(0.5, ClassificationMetrics.Mcc(BinTruth, BinPred), 12);
    }

    [Fact]
    public void Binary_accuracy_and_macro_f1()
    {
        Assert.Equal(0.75, ClassificationMetrics.Accuracy(BinTruth, BinPred), 12);
        // class 1: 2·3 / (6 + 1 + 1) = 0.75; class 0: the same.
        Assert.Equal(0.75, ClassificationMetrics.MacroF1(BinTruth, BinPred), 12);
    }

    [Fact]
    public void Unbalanced_binary_case()
    {
        int[] t = [1, 0, 0, 0, 0];
        int[] p = [1, 1, 0, 0, 0];
        // TP 1, FP 1, TN 3, FN 0: (1·3 − 1·0) / √(2·1·3·4) = 3 / √24
        Assert.Equal(3 / Math.Sqrt(24), ClassificationMetrics.Mcc(t, p), 12);
        // class 1: F1 = 2/3; class 0: 2·3 / (6 + 0 + 1) = 6/7
        Assert.Equal((2.0 / 3 + 6.0 / 7) / 2, ClassificationMetrics.MacroF1(t, p), 12);
        Assert.Equal(0.5 * (0.5 + 1.0), ClassificationMetrics.MacroPrecision(t, p), 12);
        Assert.Equal(0.5 * (1.0 + 0.75), ClassificationMetrics.MacroRecall(t, p), 12);
    }

    [Fact]
    public void Multiclass_mcc_is_gorodkins_rk()
    {
        int[] t = [0, 0, 1, 1, 2, 2];
        int[] p = [0, 1, 1, 1, 2, 0];
        // c = 4, s = 6, t_k = (2,2,2), p_k = (2,3,1): (4·6 − 12) / √((36 − 14)(36 − 12)) = 12 / √528
        Assert.Equal(12 / Math.Sqrt(528), ClassificationMetrics.Mcc(t, p), 12);
        // F1 per class: 0.5, 0.8, 2/3
        Assert.Equal((0.5 + 0.8 + 2.0 / 3) / 3, ClassificationMetrics.MacroF1(t, p), 12);
        Assert.Equal(4.0 / 6, ClassificationMetrics.Accuracy(t, p), 12);
    }

    [Fact]
    public void Constant_prediction_has_mcc_zero_not_nan()
    {
        Assert.Equal(0, ClassificationMetrics.Mcc([0, 1, 0, 1], [1, 1, 1, 1]));
        Assert.Equal(0, ClassificationMetrics.Mcc([1, 1, 1], [1, 1, 1]));
    }

    [Fact]
    public void Perfect_and_inverted_binary_predictions()
    {
        Assert.Equal(1, ClassificationMetrics.Mcc([0, 1, 0, 1], [0, 1, 0, 1]), 12);
        Assert.Equal(-1, ClassificationMetrics.Mcc([0, 1, 0, 1], [1, 0, 1, 0]), 12);
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Mcc([0, 1], [0]));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy([], []));
    }

    [Fact]
    public void Confusion_matrix_counts_truth_by_prediction()
    {
        var cm = ConfusionMatrix.From([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]);
        Assert.Equal([0, 1, 2], cm.Classes);
        Assert.Equal(1, cm[0, 0]);
        Assert.Equal(1, cm[0, 1]);
        Assert.Equal(1, cm[2, 0]);
        Assert.Equal(3, cm.PredictedCount(1));
        Assert.Equal(2, cm.TrueCount(2));
    }
}
