using DnaFoundation.Model;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Masking;
using static TorchSharp.torch;

namespace DnaFoundation.Training;

/// <summary>Validation numbers: MLM loss (nats per masked token), its perplexity, masked-token accuracy, the unigram baseline on the same tokens.</summary>
public sealed record EvalResult(double Loss, double Perplexity, double Accuracy, double? UnigramLoss, double? RegionLoss, double? ChromatinLoss, long MaskedTokens);

/// <summary>
/// Runs the validation windows through the model in eval mode, without gradients. Every pass sees the same windows
/// with the same masks (fresh source and masker, fixed seeds), so successive numbers are comparable.
/// Sums cross ranks through the communicator.
/// </summary>
public static class Evaluator
{
    public static EvalResult Run(DnaModel model, IBatchSource source, MlmMasker masker, int batches, MultitaskConfig weights,
        UnigramBaseline? baseline, Device device, ICommunicator communicator)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            double lossSum = 0, weightSum = 0, correct = 0, unigram = 0, region = 0, chromatin = 0;
            long count = 0;
            bool hasRegion = false, hasChromatin = false;
            for (int i = 0; i < batches; i++)
            {
                using var scope = NewDisposeScope();
                using var batch = source.Next();
                var masked = masker.Apply(batch.InputIds, batch.SoftMasked);
                var o = PretrainingObjective.Compute(model, masked, batch, weights, device);
                double w = o.MaskedWeight.item<float>();
                lossSum += o.Mlm.item<float>() * w;
                weightSum += w;
                correct += o.MaskedCorrect.item<float>();
                count += o.MaskedCount.item<long>();
                if (baseline is not null)
                {
                    var sel = masked.Labels.ne(MaskedBatch.IgnoreIndex);
                    unigram += baseline.WeightedLoss(masked.Labels.index(sel), masked.LossWeights.index(sel)).item<float>();
                }
                if (o.Region is not null) { region += o.Region.item<float>(); hasRegion = true; }
                if (o.Chromatin is not null) { chromatin += o.Chromatin.item<float>(); hasChromatin = true; }
            }
            lossSum = communicator.AllReduceSum(lossSum);
            weightSum = communicator.AllReduceSum(weightSum);
            correct = communicator.AllReduceSum(correct);
            unigram = communicator.AllReduceSum(unigram);
            count = (long)communicator.AllReduceSum(count);
            double n = batches * (double)communicator.WorldSize;
            double loss = lossSum / Math.Max(weightSum, 1e-12);
            return new EvalResult(loss, Math.Exp(loss), correct / Math.Max(weightSum, 1e-12),
                baseline is null ? null : unigram / Math.Max(weightSum, 1e-12),
                hasRegion ? communicator.AllReduceSum(region) / n : null,
                hasChromatin ? communicator.AllReduceSum(chromatin) / n : null,
                count);
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }
}
