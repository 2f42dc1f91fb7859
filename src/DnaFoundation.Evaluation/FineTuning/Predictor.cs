using DnaFoundation.Evaluation.Metrics;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>Runs a fine-tuned model over examples (no grad, eval mode) and scores the predictions.</summary>
public static class Predictor
{
    /// <summary>Mean loss and the (N, C) probabilities (softmax for single-label, sigmoid for multi-label).</summary>
    public static (double Loss, float[,] Probabilities) Predict(DnaModel model, IReadOnlyList<FineTuneExample> examples, FineTuneTask task, int padId, int batchSize, Device device)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            float[,]? probs = null;
            double lossSum = 0;
            for (int start = 0; start < examples.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = examples.Skip(start).Take(batchSize).ToList();
                var (ids, mask, target) = FineTuneExamples.Collate(batch, padId, task, device);
                var output = model.Run(ids, mask);
                var logits = (task == FineTuneTask.Token ? output.TokenLogits : output.SequenceLogits)!.to(ScalarType.Float32);
                lossSum += FineTuner.Loss(task, logits, target).item<float>() * batch.Count;
                if (task == FineTuneTask.Token) continue;
                var p = (task == FineTuneTask.MultiLabel ? logits.sigmoid() : logits.softmax(-1)).cpu();
                probs ??= new float[examples.Count, p.shape[1]];
                var flat = p.data<float>().ToArray();
                int c = (int)p.shape[1];
                for (int i = 0; i < batch.Count; i++)
                    for (int k = 0; k < c; k++) probs[start + i, k] = flat[i * c + k];
            }
            return (lossSum / examples.Count, probs ?? new float[0, 0]);
        }
        finally
        {
            model.train(wasTraining);
        }
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
