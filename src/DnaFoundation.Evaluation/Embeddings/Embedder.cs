using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Embeddings;

public enum Pooling { Cls, Mean, Max }

/// <summary>
/// How sequences are embedded. Layers count as in <c>hidden_states</c>: 0 = embedding output, L = last layer;
/// negative values count from the end (−1 = last). Sequences longer than <see cref="MaxTokens"/> are cut into
/// windows of at most that many tokens overlapping by <see cref="OverlapBp"/> bases; window vectors are combined
/// by the pooling's own rule (mean: token-count-weighted mean; max: element-wise max; cls: mean of the windows' CLS).
/// Per-base vectors average every token covering the base (k tokens for overlapping k-mers) in every window.
/// </summary>
public sealed record EmbedOptions(Pooling Pooling = Pooling.Mean, int[]? Layers = null, int MaxTokens = 0, int OverlapBp = 64, bool PerBase = false);

/// <summary>One sequence's embedding at one layer; <see cref="PerBase"/> is (length × hidden) row-major when asked.</summary>
public sealed record SequenceEmbedding(string Id, int Layer, int Length, int Windows, float[] Vector, float[]? PerBase);

public sealed class Embedder(DnaModel model, DnaTokenizer tokenizer, Device device)
{
    public IReadOnlyList<SequenceEmbedding> Embed(string id, string sequence, EmbedOptions o)
    {
        if (sequence.Length == 0) throw new DnaInputException($"sequence '{id}' is empty");
        int maxTokens = o.MaxTokens > 0 ? o.MaxTokens : model.Config.MaxPositionEmbeddings;
        int nLayers = model.Config.NumHiddenLayers;
        var layers = (o.Layers ?? [-1]).Select(l => l < 0 ? nLayers + 1 + l : l).ToArray();
        foreach (var l in layers)
            if (l < 0 || l > nLayers) throw new DnaInputException($"layer {l} does not exist: the model has hidden states 0..{nLayers}");
        int hidden = model.Config.HiddenSize;
        var sums = layers.Select(_ => new double[hidden]).ToArray();
        var maxes = layers.Select(_ => Enumerable.Repeat(float.NegativeInfinity, hidden).ToArray()).ToArray();
        var perBase = o.PerBase ? layers.Select(_ => new float[sequence.Length * hidden]).ToArray() : null;
        var perBaseCount = o.PerBase ? new int[sequence.Length] : null;
        double weight = 0;
        int windows = 0;
        model.eval();
        foreach (var (start, enc) in Windows(sequence, maxTokens, o.OverlapBp))
        {
            windows++;
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var ids = tensor(enc.Ids.Select(i => (long)i).ToArray(), [1, enc.Length], device: device);
            var states = model.Run(ids, outputHiddenStates: true).Encoder.HiddenStates;
            var real = Enumerable.Range(0, enc.TokenCount).Where(t => !tokenizer.IsSpecial(enc.Ids[t])).ToArray();
            for (int li = 0; li < layers.Length; li++)
            {
                var h = states[layers[li]][0].to(ScalarType.Float32).cpu().data<float>().ToArray(); // (T × hidden)
                switch (o.Pooling)
                {
                    case Pooling.Cls:
                        for (int k = 0; k < hidden; k++) sums[li][k] += h[k];
                        break;
                    case Pooling.Mean:
                        foreach (var t in real) for (int k = 0; k < hidden; k++) sums[li][k] += h[t * hidden + k];
                        break;
                    case Pooling.Max:
                        foreach (var t in real) for (int k = 0; k < hidden; k++) maxes[li][k] = Math.Max(maxes[li][k], h[t * hidden + k]);
                        break;
                }
                if (perBase is not null)
                    foreach (var t in real)
                        for (int b = enc.Offsets[t].Start; b < enc.Offsets[t].End; b++)
                            for (int k = 0; k < hidden; k++) perBase[li][(start + b) * hidden + k] += h[t * hidden + k];
            }
            if (perBaseCount is not null)
                foreach (var t in real)
                    for (int b = enc.Offsets[t].Start; b < enc.Offsets[t].End; b++) perBaseCount[start + b]++;
            weight += o.Pooling == Pooling.Mean ? real.Length : 1;
        }
        var result = new List<SequenceEmbedding>();
        for (int li = 0; li < layers.Length; li++)
        {
            var v = o.Pooling == Pooling.Max ? maxes[li] : sums[li].Select(x => (float)(x / Math.Max(weight, 1))).ToArray();
            float[]? pb = null;
            if (perBase is not null)
            {
                pb = perBase[li];
                for (int b = 0; b < sequence.Length; b++)
                    for (int k = 0; k < hidden; k++) pb[b * hidden + k] = perBaseCount![b] == 0 ? float.NaN : pb[b * hidden + k] / perBaseCount[b];
            }
            result.Add(new SequenceEmbedding(id, layers[li], sequence.Length, windows, v, pb));
        }
        return result;
    }

    /// <summary>
    /// Windows of at most <paramref name="maxTokens"/> tokens (special tokens included) covering the sequence: each
    /// starts <paramref name="overlapBp"/> bases before the previous one's end; offsets are window-relative.
    /// </summary>
    internal IEnumerable<(int Start, DnaEncoding Encoding)> Windows(string sequence, int maxTokens, int overlapBp)
    {
        int start = 0;
        while (true)
        {
            var enc = tokenizer.Encode(sequence.AsSpan(start), new EncodeOptions { MaxLength = maxTokens });
            yield return (start, enc);
            int end = start + enc.BasesConsumed;
            if (end >= sequence.Length) yield break;
            int next = end - overlapBp;
            if (next <= start) throw new DnaInputException($"--overlap {overlapBp} bp is not smaller than a window ({enc.BasesConsumed} bp at {maxTokens} tokens)");
            start = next;
        }
    }
}
