using DnaFoundation.Model;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Masking;
using static TorchSharp.torch;

namespace DnaFoundation.Training;

/// <summary>The losses of one micro-batch: the weighted total (float32 scalar) and each task's loss.</summary>
public sealed record ObjectiveOutput(Tensor Total, Tensor Mlm, Tensor? Region, Tensor? Chromatin, Tensor MaskedCorrect, Tensor MaskedWeight, Tensor MaskedCount);

/// <summary>
/// MLM (+ LOGO-style region and chromatin) losses for a <see cref="DnaModel"/>. The MLM head runs only on masked
/// positions (gathered first: the vocabulary projection is the largest matrix of a small model); every loss is taken
/// on float32 logits, whatever the compute dtype. The MLM loss is the loss-weighted mean over masked tokens, so
/// soft-masked bases count with their reduced weight.
/// </summary>
public static class PretrainingObjective
{
    public static ObjectiveOutput Compute(DnaModel model, MaskedBatch masked, TrainingBatch batch, MultitaskConfig weights, Device device)
    {
        using var scope = NewDisposeScope();
        var ids = masked.InputIds.to(device);
        var attention = batch.AttentionMask.to(device);
        var h = model.Encoder.Run(ids, attention).LastHiddenState;               // (B, T, H)

        var labels = masked.Labels.to(device);
        var selected = labels.ne(MaskedBatch.IgnoreIndex);                        // (B, T)
        var hMasked = h.index(selected);                                          // (N, H)
        var logits = model.MaskedLmHead!.forward(hMasked).to(ScalarType.Float32); // (N, V)
        var target = labels.index(selected);                                      // (N)
        var w = masked.LossWeights.to(device).index(selected);                    // (N)
        var perToken = nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.None);
        var weight = w.sum();
        var mlm = (perToken * w).sum() / weight.clamp_min(1e-12);
        var correct = (logits.argmax(-1).eq(target).to(ScalarType.Float32) * w).sum();
        var total = mlm * weights.MlmWeight;

        Tensor? region = null, chromatin = null;
        if (batch.RegionLabels is not null && model.TokenHead is not null)
        {
            var regionLogits = model.TokenHead.forward(h).to(ScalarType.Float32); // (B, T, R)
            var regionLabels = batch.RegionLabels.to(device);
            var any = regionLabels.ne(-100).any();
            region = nn.functional.cross_entropy(regionLogits.reshape(-1, regionLogits.shape[^1]), regionLabels.reshape(-1), ignore_index: -100);
            region = where(any, region, zeros_like(region));                      // an all-padding batch has no region loss
            total = total + region * weights.RegionWeight;
        }
        if (batch.ChromatinLabels is not null && model.SequenceHead is not null)
        {
            var chromLogits = model.SequenceHead.forward(h, attention).to(ScalarType.Float32); // (B, F)
            chromatin = nn.functional.binary_cross_entropy_with_logits(chromLogits, batch.ChromatinLabels.to(device));
            total = total + chromatin * weights.ChromatinWeight;
        }
        return new ObjectiveOutput(total.MoveToOuterDisposeScope(), mlm.MoveToOuterDisposeScope(), region?.MoveToOuterDisposeScope(),
            chromatin?.MoveToOuterDisposeScope(), correct.MoveToOuterDisposeScope(), weight.MoveToOuterDisposeScope(),
            selected.sum().MoveToOuterDisposeScope());
    }
}
