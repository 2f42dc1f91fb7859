using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>Which attention a base's score is read from.</summary>
public enum AttentionSource
{
    /// <summary>The attention the first token ([CLS]) pays to each token (DNABERT's motif analysis).</summary>
    Cls,
    /// <summary>The mean attention each token receives over every query token.</summary>
    Mean,
}

/// <summary>
/// Base-level attention scores, as DNABERT's motif analysis makes them: one layer's attention (default the last),
/// averaged over heads, read as the attention paid to each token (from [CLS], or the mean over queries), then spread
/// over the bases each token covers (a base takes the mean over the tokens covering it: k of them for overlapping
/// k-mers). Runs through the shared <see cref="InferenceRunner"/> on the eager attention path; the reduction happens
/// on the device and one (B × T) copy per batch comes back. Bases no token reached (cut by the max length) are NaN.
/// </summary>
public static class BaseAttention
{
    /// <summary>Scores per input (input order, streaming).</summary>
    /// <param name="layer">0-based; negative counts from the end (−1 = last).</param>
    public static IEnumerable<double[]> Compute(InferenceRunner runner, DnaTokenizer tokenizer, IEnumerable<string> sequences,
        int maxTokens, int layer = -1, AttentionSource source = AttentionSource.Cls, CancellationToken cancel = default)
    {
        int layers = runner.Model.Config.NumHiddenLayers;
        int l = layer < 0 ? layers + layer : layer;
        if (l < 0 || l >= layers) throw new Core.DnaInputException($"layer {layer}: the model has {layers} layers (0..{layers - 1}, or −1 for the last)");
        var encoded = sequences.Select(s => (Length: s.Length, Encoding: tokenizer.Encode(s, new EncodeOptions { MaxLength = maxTokens })));
        return runner.Run(encoded, x => new TokenSequence(x.Encoding.Ids[..x.Encoding.TokenCount]), b =>
        {
            var a = b.Output.Encoder.Attentions[l].to(ScalarType.Float32);                    // (B, H, T, T)
            Tensor received;
            if (source == AttentionSource.Cls) received = a.select(2, 0).mean([1]);            // (B, T)
            else
            {
                var queries = b.Tokens.AttentionMask.to(ScalarType.Float32);                     // (B, T): real query rows
                received = (a.mean([1]) * queries.unsqueeze(-1)).sum(1) / queries.sum(1, keepdim: true).clamp_min(1);
            }
            var rows = Readouts.Rows(received, b.Tokens.Lengths);
            return b.Items.Select((x, i) => Spread(tokenizer, x.Encoding, rows[i], x.Length)).ToList();
        }, ExtraOutputs.Attentions, cancel: cancel, heads: ModelHeads.None);
    }

    /// <summary>Token scores → base scores: each base the mean of the non-special tokens covering it (NaN where none does).</summary>
    public static double[] Spread(DnaTokenizer tokenizer, DnaEncoding encoding, IReadOnlyList<float> tokenScores, int length)
    {
        var sum = new double[length];
        var n = new int[length];
        for (int t = 0; t < encoding.TokenCount; t++)
        {
            if (tokenizer.IsSpecial(encoding.Ids[t])) continue;
            var span = encoding.Offsets[t];
            for (int p = span.Start; p < span.End && p < length; p++)
            {
                sum[p] += tokenScores[t];
                n[p]++;
            }
        }
        return sum.Select((s, p) => n[p] == 0 ? double.NaN : s / n[p]).ToArray();
    }
}
