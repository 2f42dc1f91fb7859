using static TorchSharp.torch;

namespace DnaFoundation.Model.Inference;

/// <summary>
/// The raw outputs of many sequences gathered on the host, padded to the longest input (what <c>dnafm model
/// forward</c> writes): <c>input_ids</c>, <c>attention_mask</c> [N, T] int64, <c>last_hidden_state</c>
/// [N, T, hidden] float32 and, when the model has an MLM head, <c>logits</c> [N, T, vocab]. Padded positions (and
/// masked-out ones) hold zeros. Runs through <see cref="InferenceRunner"/>.
/// </summary>
public static class PaddedOutputs
{
    /// <summary>Runs every input and gathers its outputs (input order).</summary>
    public static Dictionary<string, Tensor> Collect(InferenceRunner runner, IReadOnlyList<TokenSequence> inputs,
        InferenceProgress? progress = null, CancellationToken cancel = default)
    {
        if (inputs.Count == 0) throw new ArgumentException("no input sequences", nameof(inputs));
        var model = runner.Model;
        int longest = inputs.Max(s => s.Length), hidden = model.Config.HiddenSize, vocab = model.Config.VocabSize;
        bool mlm = model.MaskedLmHead is not null;
        var rows = runner.Run(inputs, s => s, b =>
        {
            var keep = b.Tokens.AttentionMask.unsqueeze(-1).to(ScalarType.Float32);     // (B, T, 1)
            var h = Readouts.Rows(b.Output.LastHiddenState.to(ScalarType.Float32) * keep, b.Tokens.Lengths);
            var l = mlm ? Readouts.Rows(b.Output.MlmLogits!.to(ScalarType.Float32) * keep, b.Tokens.Lengths) : null;
            return h.Select((x, i) => (Hidden: x, Logits: l?[i])).ToList();
        }, progress: progress, cancel: cancel).ToList();

        var ids = new long[inputs.Count * longest];
        var mask = new long[inputs.Count * longest];
        var hid = new float[checked(inputs.Count * longest * hidden)];
        var logits = mlm ? new float[checked(inputs.Count * longest * vocab)] : null;
        Array.Fill(ids, model.Config.PadTokenId ?? 0);
        for (int i = 0; i < inputs.Count; i++)
        {
            var s = inputs[i];
            for (int t = 0; t < s.Length; t++)
            {
                ids[i * longest + t] = s.Ids[t];
                mask[i * longest + t] = s.AttentionMask is null ? 1 : s.AttentionMask[t];
            }
            rows[i].Hidden.CopyTo(hid.AsSpan(checked(i * longest * hidden)));
            rows[i].Logits?.CopyTo(logits.AsSpan(checked(i * longest * vocab)));
        }
        var result = new Dictionary<string, Tensor>
        {
            ["input_ids"] = tensor(ids, [inputs.Count, longest]),
            ["attention_mask"] = tensor(mask, [inputs.Count, longest]),
            ["last_hidden_state"] = tensor(hid, [inputs.Count, longest, hidden]),
        };
        if (logits is not null) result["logits"] = tensor(logits, [inputs.Count, longest, vocab]);
        return result;
    }
}
