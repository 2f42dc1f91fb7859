using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Model.Heads;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// One tokenized example: ids with special tokens, truncated to the max length; and its target, which is a class
/// (single-label), one 0/1 per label (multi-label), or one class per token with −100 on special tokens (token).
/// </summary>
public sealed record FineTuneExample(int[] Ids, long Label, float[]? Labels = null, long[]? TokenLabels = null);

/// <summary>Tokenizes labelled data for a task and collates padded (B, T) batches.</summary>
public static class FineTuneExamples
{
    public static FineTuneExample[] Single(IReadOnlyList<LabeledSequence> rows, DnaTokenizer tok, int maxLength) =>
        Encode(rows.Select(r => r.Sequence).ToArray(), tok, maxLength, (i, _) => new FineTuneExample([], rows[i].Label));

    public static FineTuneExample[] Multi(IReadOnlyList<MultiLabeledSequence> rows, DnaTokenizer tok, int maxLength) =>
        Encode(rows.Select(r => r.Sequence).ToArray(), tok, maxLength,
            (i, _) => new FineTuneExample([], 0, rows[i].Labels.Select(b => (float)b).ToArray()));

    /// <summary>Per-base classes (e.g. 1 inside a BED region) → per-token classes by each token's first base.</summary>
    public static FineTuneExample[] Token(IReadOnlyList<string> sequences, IReadOnlyList<byte[]> baseLabels, DnaTokenizer tok, int maxLength) =>
        Encode(sequences, tok, maxLength, (i, enc) =>
        {
            var labels = new long[enc.TokenCount];
            for (int t = 0; t < labels.Length; t++)
            {
                var span = enc.Offsets[t];
                labels[t] = span.Length == 0 || tok.IsSpecial(enc.Ids[t]) ? Losses.IgnoreIndex : baseLabels[i][span.Start];
            }
            return new FineTuneExample([], 0, null, labels);
        });

    private static FineTuneExample[] Encode(IReadOnlyList<string> sequences, DnaTokenizer tok, int maxLength, Func<int, DnaEncoding, FineTuneExample> target)
    {
        var encodings = tok.EncodeBatch(sequences, new EncodeOptions { MaxLength = maxLength }, Environment.ProcessorCount);
        var result = new FineTuneExample[encodings.Length];
        for (int i = 0; i < result.Length; i++)
            result[i] = target(i, encodings[i]) with { Ids = encodings[i].Ids[..encodings[i].TokenCount] };
        return result;
    }

    /// <summary>(B, T) ids padded to the longest example, (B, T) attention mask, and the targets as tensors.</summary>
    public static (Tensor Ids, Tensor Mask, Tensor Target) Collate(IReadOnlyList<FineTuneExample> batch, int padId, FineTuneTask task, Device device)
    {
        int b = batch.Count, t = batch.Max(e => e.Ids.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        Array.Fill(ids, padId);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < batch[i].Ids.Length; j++) { ids[i * t + j] = batch[i].Ids[j]; mask[i * t + j] = 1; }
        Tensor target = task switch
        {
            FineTuneTask.SingleLabel => tensor(batch.Select(e => e.Label).ToArray(), device: device),
            FineTuneTask.MultiLabel => tensor(batch.SelectMany(e => e.Labels!).ToArray(), [b, batch[0].Labels!.Length], device: device),
            _ => TokenTargets(batch, t, device),
        };
        return (tensor(ids, [b, t], device: device), tensor(mask, [b, t], device: device), target);
    }

    private static Tensor TokenTargets(IReadOnlyList<FineTuneExample> batch, int t, Device device)
    {
        var y = new long[batch.Count * t];
        Array.Fill(y, Losses.IgnoreIndex);
        for (int i = 0; i < batch.Count; i++) batch[i].TokenLabels!.CopyTo(y, i * t);
        return tensor(y, [batch.Count, t], device: device);
    }
}
