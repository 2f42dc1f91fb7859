using DnaFoundation.Evaluation.Metrics;

namespace DnaFoundation.Evaluation.Tests.Metrics;

public class ReportTests
{
    [Fact]
    public void Binary_report_takes_argmax_and_scores_class_one_probability()
    {
        var probs = new float[,] { { 0.1f, 0.9f }, { 0.2f, 0.8f }, { 0.6f, 0.4f }, { 0.7f, 0.3f } };
        var r = ClassificationReport.From([1, 0, 1, 0], probs);
        // predictions 1, 1, 0, 0 vs truth 1, 0, 1, 0: TP 1 FP 1 TN 1 FN 1 → MCC 0, accuracy .5
        Assert.Equal(0, r.Mcc, 12);
        Assert.Equal(0.5, r.Accuracy, 12);
        Assert.Equal(0.75, r.Auroc, 6); // scores 0.9, 0.8, 0.4, 0.3 as in the ranking test
        Assert.Equal(4, r.Count);
    }

    [Fact]
    public void Multiclass_report_averages_one_vs_rest_auroc()
    {
        var probs = new float[,] { { 0.8f, 0.1f, 0.1f }, { 0.1f, 0.8f, 0.1f }, { 0.1f, 0.1f, 0.8f } };
        var r = ClassificationReport.From([0, 1, 2], probs);
        Assert.Equal(1, r.Mcc, 12);
        Assert.Equal(1, r.Auroc, 12);
        Assert.Equal(1, r.Auprc, 12);
    }

    [Fact]
    public void Multilabel_report_gives_per_label_scores_and_group_medians()
    {
        var truth = new byte[,] { { 1, 0, 1 }, { 0, 1, 1 }, { 1, 0, 0 }, { 0, 1, 0 } };
        var scores = new float[,] { { .9f, .2f, .5f }, { .1f, .8f, .5f }, { .8f, .3f, .5f }, { .2f, .25f, .5f } };
        var per = MultiLabelReport.PerLabel(truth, scores, ["a", "b", "c"], ["TF", "TF", "histone"]);
        Assert.Equal(1, per[0].Auroc, 12);
        Assert.Equal(0.75, per[1].Auroc, 12); // positives .8, .25 vs negatives .2, .3: .8 beats both, .25 beats .2 → 3 of 4
        Assert.Equal(0.5, per[2].Auroc, 12);  // constant score
        Assert.Equal(2, per[0].Positives);
        var medians = MultiLabelReport.MedianAurocByGroup(per);
        Assert.Equal(0.875, medians["TF"], 12);
        Assert.Equal(0.5, medians["histone"], 12);
    }

    [Fact]
    public void Sample_sd_and_median()
    {
        Assert.Equal(Math.Sqrt(5.0 / 3), Statistics.SampleSd([1, 2, 3, 4]), 12);
        Assert.Equal(0, Statistics.SampleSd([7]));
        Assert.Equal(2.5, Statistics.Median([4, 1, 3, 2]));
        Assert.Equal(2.5, Statistics.Mean([1, 2, 3, 4]));
    }
}
