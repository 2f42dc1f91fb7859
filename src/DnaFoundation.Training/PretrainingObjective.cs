using DnaFoundation.Model;
using DnaFoundation.Model.Runtime;
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
/// soft-masked bases count with their reduced weight. Batches reach a GPU through pinned memory (HostToDevice).
/// </summary>
public static class PretrainingObjective
{
    public static ObjectiveOutput Compute(DnaModel model, MaskedBatch masked, TrainingBatch batch, MultitaskConfig weights, Device device)
    {
        using var scope = NewDisposeScope();
        var ids = HostToDevice.Copy(masked.InputIds, device);
        var attention = HostToDevice.Copy(batch.AttentionMask, device);
        // Rows without padding need no attention mask (the encoder then adds no bias); the host knows from the counts.
        var h = model.Encoder.Run(ids, batch.PaddingTokens == 0 ? null : attention).LastHiddenState; // (B, T, H)

        var labels = HostToDevice.Copy(masked.Labels, device);
        var selected = labels.ne(MaskedBatch.IgnoreIndex);                        // (B, T)
        // The masked positions come from the masker's labels, which are on the host: indexing the device tensors
        // with a boolean mask would make the device count them and the host wait for the count (a sync per
        // micro-batch); the same rows in the same (row-major) order, so the same numbers.
        var at = HostToDevice.Copy(masked.Labels.reshape(-1).ne(MaskedBatch.IgnoreIndex).nonzero().squeeze(1), device); // (N)
        var hMasked = h.reshape(-1, h.shape[^1]).index_select(0, at);             // (N, H)
        var logits = model.MaskedLmHead!.forward(hMasked).to(ScalarType.Float32); // (N, V)
        var target = labels.reshape(-1).index_select(0, at);                      // (N)
        var w = HostToDevice.Copy(masked.LossWeights, device).reshape(-1).index_select(0, at); // (N)
        var perToken = nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.None);
        var weight = w.sum();
        var mlm = (perToken * w).sum() / weight.clamp_min(1e-12);
        var correct = (logits.argmax(-1).eq(target).to(ScalarType.Float32) * w).sum();
        var total = mlm * weights.MlmWeight;

        Tensor? region = null, chromatin = null;
        if (batch.RegionLabels is not null && model.TokenHead is not null)
        {
            var regionLogits = model.TokenHead.forward(h).to(ScalarType.Float32); // (B, T, R)
            var regionLabels = HostToDevice.Copy(batch.RegionLabels, device);
            var any = regionLabels.ne(-100).any();
            region = nn.functional.cross_entropy(regionLogits.reshape(-1, regionLogits.shape[^1]), regionLabels.reshape(-1), ignore_index: -100);
            region = where(any, region, zeros_like(region));                      // an all-padding batch has no region loss
            total = total + region * weights.RegionWeight;
        }
        if (batch.ChromatinLabels is not null && model.SequenceHead is not null)
        {
            var chromLogits = model.SequenceHead.forward(h, attention).to(ScalarType.Float32); // (B, F)
            chromatin = nn.functional.binary_cross_entropy_with_logits(chromLogits, HostToDevice.Copy(batch.ChromatinLabels, device));
            total = total + chromatin * weights.ChromatinWeight;
        }
        return new ObjectiveOutput(total.MoveToOuterDisposeScope(), mlm.MoveToOuterDisposeScope(), region?.MoveToOuterDisposeScope(),
            chromatin?.MoveToOuterDisposeScope(), correct.MoveToOuterDisposeScope(), weight.MoveToOuterDisposeScope(),
            selected.sum().MoveToOuterDisposeScope());
    }
}
