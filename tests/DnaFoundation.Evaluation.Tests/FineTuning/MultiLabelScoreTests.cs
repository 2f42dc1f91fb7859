using DnaFoundation.Evaluation.FineTuning;

namespace DnaFoundation.Evaluation.Tests.FineTuning;

public class MultiLabelScoreTests
{
    [Fact]
    public void Multi_label_metrics_show_the_worst_label_and_the_labels_below_chance_beside_the_mean()
    {
        // Label 0 ranked perfectly, label 1 upside down, label 2 without positives (not scorable).
        float[][] labels = [[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]];
        var examples = labels.Select(l => new FineTuneExample([5, 6], 0, l)).ToArray();
        var probabilities = new float[,] { { 0.9f, 0.1f, 0.5f }, { 0.8f, 0.2f, 0.5f }, { 0.2f, 0.3f, 0.5f }, { 0.1f, 0.9f, 0.5f } };

        var m = FineTuneEvaluation.Score(examples, probabilities, FineTuneTask.MultiLabel);

        // label 1: positives (rows 1, 2) score 0.2, 0.3; negatives 0.1, 0.9 → 2 of 4 pairs ordered → AUROC 0.5;
        // label 0: AUROC 1. Mean over the two scorable labels 0.75.
        Assert.Equal(0.75, m["auroc"], 12);
        Assert.Equal(0.5, m["auroc_min"], 12);
        Assert.Equal(0, m["labels_auroc_below_half"]);
        Assert.Equal(2, m["labels_scored"]);

        // Flip label 1 completely: rows with it get the lowest scores.
        var flipped = (float[,])probabilities.Clone();
        flipped[1, 1] = 0.05f; flipped[2, 1] = 0.0f; flipped[0, 1] = 0.6f; flipped[3, 1] = 0.9f;
        var f = FineTuneEvaluation.Score(examples, flipped, FineTuneTask.MultiLabel);
        Assert.Equal(0.0, f["auroc_min"], 12);
        Assert.Equal(1, f["labels_auroc_below_half"]);
        Assert.Equal(0.5, f["auroc"], 12);
    }
}
