using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Model.Heads;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// One tokenized example: ids with special tokens, truncated to the max length; and its target, which is a class
/// (single-label), one 0/1 per label (multi-label), or one class per token with −100 on special tokens (token).
/// <see cref="Source"/> is the row's id (e.g. <c>test.csv:12</c>), under which predictions are reported.
/// </summary>
public sealed record FineTuneExample(int[] Ids, long Label, float[]? Labels = null, long[]? TokenLabels = null, string? Source = null);

/// <summary>Tokenizes labelled data for a task and collates padded (B, T) batches.</summary>
public static class FineTuneExamples
{
    public static FineTuneExample[] Single(IReadOnlyList<LabeledSequence> rows, DnaTokenizer tok, int maxLength) =>
        Encode(rows.Select(r => r.Sequence).ToArray(), tok, maxLength, (i, _) => new FineTuneExample([], rows[i].Label, Source: rows[i].Id));

    public static FineTuneExample[] Multi(IReadOnlyList<MultiLabeledSequence> rows, DnaTokenizer tok, int maxLength) =>
        Encode(rows.Select(r => r.Sequence).ToArray(), tok, maxLength,
            (i, _) => new FineTuneExample([], 0, rows[i].Labels.Select(b => (float)b).ToArray(), Source: rows[i].Id));

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

    /// <summary>
    /// (B, T) ids padded to the longest example, the (B, T) attention mask when some example is shorter (null when
    /// none is: <see cref="TokenBatch.MaskIfPadded"/>), both from the shared <see cref="BatchCollator"/>, and the targets.
    /// </summary>
    public static (Tensor Ids, Tensor? Mask, Tensor Target) Collate(IReadOnlyList<FineTuneExample> batch, int padId, FineTuneTask task, Device device)
    {
        var tokens = BatchCollator.Collate(batch.Select(e => new TokenSequence(e.Ids)).ToList(), padId, device);
        return (tokens.InputIds, tokens.MaskIfPadded, Targets(batch, tokens.Width, task, device));
    }

    /// <summary>The targets of a batch padded to <paramref name="width"/> tokens: (B) classes, (B, L) 0/1 labels, or (B, T) token classes with −100 past each row.</summary>
    public static Tensor Targets(IReadOnlyList<FineTuneExample> batch, int width, FineTuneTask task, Device device)
    {
        int b = batch.Count;
        switch (task)
        {
            case FineTuneTask.SingleLabel:
                return BatchCollator.ToDevice(batch.Select(e => e.Label).ToArray(), [b], device);
            case FineTuneTask.MultiLabel:
                return BatchCollator.ToDevice(batch.SelectMany(e => e.Labels!).ToArray(), [b, batch[0].Labels!.Length], device);
            default:
                var y = new long[b * width];
                Array.Fill(y, Losses.IgnoreIndex);
                for (int i = 0; i < b; i++) batch[i].TokenLabels!.CopyTo(y, i * width);
                return BatchCollator.ToDevice(y, [b, width], device);
        }
    }
}
