using DnaFoundation.Evaluation.Metrics;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using DnaFoundation.Model.Inference;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// Scores a model on labelled examples: the task's mean loss and the (N, C) probabilities, through the shared
/// <see cref="InferenceRunner"/> (length-bucketed batches, probabilities on the device, one host copy per batch),
/// then metrics. Fine-tuning's dev evaluations, its test split and GUE all use it.
/// </summary>
public static class FineTuneEvaluation
{
    /// <summary>Mean loss per example (per scored token for the token task) and the (N, C) probabilities (softmax for single-label, sigmoid for multi-label; none for token).</summary>
    public static (double Loss, float[,] Probabilities) Run(DnaModel model, IReadOnlyList<FineTuneExample> examples, FineTuneTask task, int batchSize, Device device) =>
        Run(new InferenceRunner(model, device, new InferenceOptions { BatchSize = batchSize, SortWindow = Math.Max(batchSize, InferenceOptions.Default.SortWindow) }), examples, task);

    /// <inheritdoc cref="Run(DnaModel, IReadOnlyList{FineTuneExample}, FineTuneTask, int, Device)"/>
    public static (double Loss, float[,] Probabilities) Run(InferenceRunner runner, IReadOnlyList<FineTuneExample> examples, FineTuneTask task)
    {
        // The loss is a mean per example (per scored token for the token task), so it does not depend on how
        // examples were grouped into batches.
        double lossSum = 0, weight = 0;
        var rows = runner.Run(examples, e => new TokenSequence(e.Ids), b =>
        {
            var logits = (task == FineTuneTask.Token ? b.Output.TokenLogits : b.Output.SequenceLogits)!.to(ScalarType.Float32);
            var target = FineTuneExamples.Targets(b.Items, b.Tokens.Width, task, b.Device);
            double n = task == FineTuneTask.Token ? b.Items.Sum(e => e.TokenLabels!.Count(l => l != Losses.IgnoreIndex)) : b.Items.Count;
            if (n > 0) lossSum += FineTuner.Loss(task, logits, target).item<float>() * n;
            weight += n;
            if (task == FineTuneTask.Token) return new float[b.Items.Count][];
            return Readouts.Rows(Readouts.Probabilities(logits, task == FineTuneTask.MultiLabel));
        }, heads: task == FineTuneTask.Token ? ModelHeads.Token : ModelHeads.Sequence).ToList();
        var probs = task == FineTuneTask.Token || rows.Count == 0 ? new float[0, 0] : new float[rows.Count, rows[0].Length];
        for (int i = 0; i < probs.GetLength(0); i++)
            for (int k = 0; k < probs.GetLength(1); k++) probs[i, k] = rows[i][k];
        return (weight > 0 ? lossSum / weight : double.NaN, probs);
    }

    /// <summary>Metrics by name for a task: the classification report, or mean per-label AUROC/AUPRC for multi-label.</summary>
    public static IReadOnlyDictionary<string, double> Score(IReadOnlyList<FineTuneExample> examples, float[,] probabilities, FineTuneTask task)
    {
        if (task == FineTuneTask.SingleLabel)
            return ClassificationReport.From(examples.Select(e => (int)e.Label).ToArray(), probabilities).AsDictionary();
        if (task == FineTuneTask.MultiLabel)
        {
            int l = examples[0].Labels!.Length;
            var truth = new byte[examples.Count, l];
            for (int i = 0; i < examples.Count; i++) for (int j = 0; j < l; j++) truth[i, j] = (byte)examples[i].Labels![j];
            var names = Enumerable.Range(0, l).Select(j => j.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            var per = MultiLabelReport.PerLabel(truth, probabilities, names, names);
            var scorable = per.Where(s => !double.IsNaN(s.Auroc)).ToList();
            var metrics = new Dictionary<string, double>
            {
                ["auroc"] = Statistics.Mean(scorable.Select(s => s.Auroc)),
                ["auprc"] = Statistics.Mean(per.Where(s => !double.IsNaN(s.Auprc)).Select(s => s.Auprc)),
                ["labels_scored"] = scorable.Count,
            };
            // A mean can hide a label whose predictions came out upside down (seen on chr20 chromatin features);
            // the worst label and the count below chance make that visible in every dev record.
            if (scorable.Count > 0)
            {
                metrics["auroc_min"] = scorable.Min(s => s.Auroc);
                metrics["labels_auroc_below_half"] = scorable.Count(s => s.Auroc < 0.5);
            }
            return metrics;
        }
        return new Dictionary<string, double>();
    }
}
