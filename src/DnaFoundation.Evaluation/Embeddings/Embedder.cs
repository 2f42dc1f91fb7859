using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Embeddings;

/// <summary>
/// How sequences are embedded. Layers count as in <c>hidden_states</c>: 0 = embedding output, L = last layer;
/// negative values count from the end (−1 = last). Sequences longer than <see cref="MaxTokens"/> are cut into
/// windows of at most that many tokens overlapping by <see cref="OverlapBp"/> bases; window vectors are combined
/// by the pooling's own rule (mean: token-count-weighted mean; max: element-wise max; cls: mean of the windows' CLS).
/// Mean and max pool the non-special tokens. Per-base vectors average every token covering the base (k tokens for
/// overlapping k-mers) in every window.
/// </summary>
/// <param name="Pooling">How a window's token vectors become one vector (key <c>pooling</c>).</param>
/// <param name="Layers">Hidden-state indices (key <c>layers</c>); null = the last layer.</param>
/// <param name="MaxTokens">Tokens per window, special tokens included (key <c>max_tokens</c>); 0 = the model's positions.</param>
/// <param name="OverlapBp">Bases shared by consecutive windows (key <c>overlap_bp</c>).</param>
/// <param name="PerBase">Also return one vector per base (key <c>per_base</c>).</param>
public sealed record EmbedOptions(Pooling Pooling = Pooling.Mean, int[]? Layers = null, int MaxTokens = 0, int OverlapBp = 64, bool PerBase = false);

/// <summary>One sequence's embedding at one layer; <see cref="PerBase"/> is (length × hidden) row-major when asked.</summary>
public sealed record SequenceEmbedding(string Id, int Layer, int Length, int Windows, float[] Vector, float[]? PerBase);

/// <summary>
/// Embeds DNA sequences with a model's encoder through the shared <see cref="InferenceRunner"/>: all windows of
/// all sequences are batched by length, pooled on the device (one host copy per batch; per-token vectors only when
/// per-base output is asked), and combined per sequence on the host.
/// </summary>
public sealed class Embedder
{
    private readonly DnaModel model;
    private readonly DnaTokenizer tokenizer;
    private readonly InferenceRunner runner;

    /// <summary>Tokens per window when none is asked for: what the position table holds (ESM: max_position_embeddings − 2), capped by the tokenizer's model_max_length.</summary>
    public static int DefaultWindow(EncoderConfig config, DnaTokenizer tokenizer)
    {
        int positions = config.PositionEmbeddingType == PositionScheme.Absolute ? config.MaxInputTokens : config.MaxPositionEmbeddings;
        return Math.Min(positions, tokenizer.ModelMaxLength ?? positions);
    }

    /// <summary>An embedder over <paramref name="model"/>'s encoder (heads are not used).</summary>
    public Embedder(DnaModel model, DnaTokenizer tokenizer, Device device, InferenceOptions? inference = null)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        runner = new InferenceRunner(model, device, inference);
    }

    /// <summary>One window of one sequence, as the runner sees it.</summary>
    private sealed record Window(int Sequence, string Id, int SequenceLength, int Start, DnaEncoding Encoding, bool Last);

    /// <summary>A window's pooled vectors per layer, its pooled-token count, and per-token vectors when asked.</summary>
    private sealed record WindowResult(Window Window, float[][] Pooled, int Count, float[][]? Tokens);

    /// <summary>One sequence's embeddings, one per asked layer.</summary>
    public IReadOnlyList<SequenceEmbedding> Embed(string id, string sequence, EmbedOptions o) => EmbedAll([(id, sequence)], o).Single();

    /// <summary>
    /// Every sequence's embeddings (one list per sequence, one entry per asked layer), in input order; streaming:
    /// sequences are read and answered a window at a time.
    /// </summary>
    public IEnumerable<IReadOnlyList<SequenceEmbedding>> EmbedAll(IEnumerable<(string Id, string Sequence)> inputs, EmbedOptions o,
        InferenceProgress? progress = null, CancellationToken cancel = default)
    {
        int maxTokens = o.MaxTokens > 0 ? o.MaxTokens : DefaultWindow(model.Config, tokenizer);
        int nLayers = model.Config.NumHiddenLayers;
        var layers = (o.Layers ?? [-1]).Select(l => l < 0 ? nLayers + 1 + l : l).ToArray();
        foreach (var l in layers)
            if (l < 0 || l > nLayers) throw new DnaInputException($"key 'layers': layer {l} does not exist; the model has hidden states 0..{nLayers}");
        bool onlyLast = layers.All(l => l == nLayers);
        var windows = inputs.SelectMany((x, i) =>
        {
            if (x.Sequence.Length == 0) throw new DnaInputException($"sequence '{x.Id}' is empty");
            var list = Windows(x.Sequence, maxTokens, o.OverlapBp).ToList();
            return list.Select((w, k) => new Window(i, x.Id, x.Sequence.Length, w.Start, w.Encoding, k == list.Count - 1));
        });
        var results = runner.Run(windows, w => new TokenSequence(w.Encoding.Ids[..w.Encoding.TokenCount]),
            b => Read(b, layers, onlyLast, o), onlyLast ? ExtraOutputs.None : ExtraOutputs.HiddenStates, progress, cancel, heads: ModelHeads.None);
        var pending = new List<WindowResult>();
        foreach (var r in results)
        {
            pending.Add(r);
            if (!r.Window.Last) continue;
            yield return Combine(pending, layers, o);
            pending.Clear();
        }
    }

    private IReadOnlyList<WindowResult> Read(InferenceBatch<Window> b, int[] layers, bool onlyLast, EmbedOptions o)
    {
        int width = b.Tokens.Width;
        var content = b.Items.Select(w => Enumerable.Range(0, w.Encoding.TokenCount).Select(t => !tokenizer.IsSpecial(w.Encoding.Ids[t])).ToArray()).ToList();
        var keep = Readouts.KeepMask(content, width, b.Device);
        var pooled = new float[layers.Length][][];
        var tokens = o.PerBase ? new float[layers.Length][][] : null;
        for (int li = 0; li < layers.Length; li++)
        {
            var h = onlyLast ? b.Output.LastHiddenState : b.Output.Encoder.HiddenStates[layers[li]];
            pooled[li] = Readouts.Rows(Readouts.Pool(h, keep, o.Pooling));
            if (tokens is not null) tokens[li] = Readouts.Rows(h, b.Tokens.Lengths);
        }
        return b.Items.Select((w, i) => new WindowResult(w, pooled.Select(p => p[i]).ToArray(), content[i].Count(c => c),
            tokens?.Select(t => t[i]).ToArray())).ToList();
    }

    private SequenceEmbedding[] Combine(IReadOnlyList<WindowResult> windows, int[] layers, EmbedOptions o)
    {
        var first = windows[0].Window;
        int hidden = model.Config.HiddenSize, length = first.SequenceLength;
        var result = new SequenceEmbedding[layers.Length];
        for (int li = 0; li < layers.Length; li++)
        {
            var v = new float[hidden];
            if (o.Pooling == Pooling.Max)
            {
                Array.Fill(v, float.NegativeInfinity);
                foreach (var w in windows) for (int k = 0; k < hidden; k++) v[k] = Math.Max(v[k], w.Pooled[li][k]);
            }
            else
            {
                // mean: a token-weighted mean of the windows' means; cls: the plain mean of the windows' CLS vectors
                var sum = new double[hidden];
                double weight = 0;
                foreach (var w in windows)
                {
                    double n = o.Pooling == Pooling.Mean ? w.Count : 1;
                    for (int k = 0; k < hidden; k++) sum[k] += w.Pooled[li][k] * n;
                    weight += n;
                }
                for (int k = 0; k < hidden; k++) v[k] = (float)(sum[k] / Math.Max(weight, 1));
            }
            result[li] = new SequenceEmbedding(first.Id, layers[li], length, windows.Count, v, o.PerBase ? PerBase(windows, li, length, hidden) : null);
        }
        return result;
    }

    private float[] PerBase(IReadOnlyList<WindowResult> windows, int li, int length, int hidden)
    {
        var sum = new float[length * hidden];
        var count = new int[length];
        foreach (var w in windows)
        {
            var enc = w.Window.Encoding;
            for (int t = 0; t < enc.TokenCount; t++)
            {
                if (tokenizer.IsSpecial(enc.Ids[t])) continue;
                for (int b = enc.Offsets[t].Start; b < enc.Offsets[t].End; b++)
                {
                    int at = w.Window.Start + b;
                    count[at]++;
                    for (int k = 0; k < hidden; k++) sum[at * hidden + k] += w.Tokens![li][t * hidden + k];
                }
            }
        }
        for (int b = 0; b < length; b++)
            for (int k = 0; k < hidden; k++) sum[b * hidden + k] = count[b] == 0 ? float.NaN : sum[b * hidden + k] / count[b];
        return sum;
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
            if (next <= start) throw new DnaInputException($"key 'overlap_bp': {overlapBp} bp is not smaller than a window ({enc.BasesConsumed} bp at {maxTokens} tokens)");
            start = next;
        }
    }
}
