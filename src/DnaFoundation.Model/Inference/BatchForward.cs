using DnaFoundation.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Inference;

/// <summary>One input sequence of token ids, with an optional mask (1 = token, 0 = padding) of the same length.</summary>
public sealed record TokenSequence(long[] Ids, long[]? AttentionMask = null);

/// <summary>
/// Runs a model over many sequences in batches (eval mode, no gradients) and gathers the outputs padded to the
/// longest input: <c>input_ids</c>, <c>attention_mask</c> [N, T], <c>last_hidden_state</c> [N, T, hidden] and, when
/// the model has an MLM head, <c>logits</c> [N, T, vocab]. Padded positions hold zeros.
/// </summary>
public static class BatchForward
{
    public static Dictionary<string, Tensor> Run(DnaModel model, IReadOnlyList<TokenSequence> inputs, int batchSize,
        Device device, IProgress<ProgressInfo>? progress = null, CancellationToken cancel = default)
    {
        if (inputs.Count == 0) throw new ArgumentException("no input sequences");
        int longest = inputs.Max(s => s.Ids.Length);
        long pad = model.Config.PadTokenId ?? 0;
        var ids = full(inputs.Count, longest, pad, dtype: ScalarType.Int64);
        var mask = zeros(inputs.Count, longest, dtype: ScalarType.Int64);
        for (int i = 0; i < inputs.Count; i++)
        {
            var s = inputs[i];
            if (s.Ids.Length == 0) continue;
            ids[i, TensorIndex.Slice(0, s.Ids.Length)] = tensor(s.Ids);
            mask[i, TensorIndex.Slice(0, s.Ids.Length)] = s.AttentionMask is null ? ones(s.Ids.Length, dtype: ScalarType.Int64) : tensor(s.AttentionMask);
        }
        var hidden = zeros(inputs.Count, longest, model.Config.HiddenSize);
        Tensor? logits = model.MaskedLmHead is null ? null : zeros(inputs.Count, longest, model.Config.VocabSize);

        model.eval();
        using (no_grad())
        {
            for (int start = 0; start < inputs.Count; start += batchSize)
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int end = Math.Min(start + batchSize, inputs.Count);
                // Each batch is cut to its own longest input: less work, same numbers.
                int width = inputs.Skip(start).Take(end - start).Max(s => s.Ids.Length);
                if (width == 0) continue;
                var rows = TensorIndex.Slice(start, end);
                var cols = TensorIndex.Slice(0, width);
                var m = mask[rows, cols];
                var output = model.forward(ids[rows, cols].to(device), m.to(device));
                var keep = m.unsqueeze(-1).to(ScalarType.Float32);
                hidden[rows, cols] = output.LastHiddenState.to(ScalarType.Float32).cpu() * keep;
                if (logits is not null) logits[rows, cols] = output.MlmLogits!.to(ScalarType.Float32).cpu() * keep;
                progress?.Report(new ProgressInfo("forward", end, inputs.Count, "sequences"));
            }
        }
        var result = new Dictionary<string, Tensor> { ["input_ids"] = ids, ["attention_mask"] = mask, ["last_hidden_state"] = hidden };
        if (logits is not null) result["logits"] = logits;
        return result;
    }
}
