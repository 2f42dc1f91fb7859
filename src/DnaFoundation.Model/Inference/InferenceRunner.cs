using System.Runtime.CompilerServices;
using DnaFoundation.Core;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Inference;

/// <summary>Outputs a forward pass computes only when asked (they cost memory and, for attentions, the eager path).</summary>
[Flags]
public enum ExtraOutputs
{
    /// <summary>The last hidden state and every head's logits.</summary>
    None = 0,
    /// <summary>Every layer's hidden states (<see cref="EncoderOutput.HiddenStates"/>).</summary>
    HiddenStates = 1,
    /// <summary>Every layer's attention probabilities (<see cref="EncoderOutput.Attentions"/>).</summary>
    Attentions = 2,
}

/// <summary>
/// One forward pass over a batch, handed to a readout: the inputs of the batch (in batch order, which is not input
/// order), their padded tokens and the model's output, all on the device. A readout reduces the output on the
/// device (pooling, softmax, top-k, gathers) and copies the result to the host once for the whole batch.
/// </summary>
public sealed record InferenceBatch<TIn>(IReadOnlyList<TIn> Items, TokenBatch Tokens, ModelOutput Output, Device Device);

/// <summary>Progress of a run: reported to <paramref name="Sink"/> after every batch as inputs done of <paramref name="Total"/>.</summary>
public sealed record InferenceProgress(IProgress<ProgressInfo> Sink, string Task, long? Total = null, string Unit = "sequences");

/// <summary>
/// The batched, length-bucketed inference runner every inference path shares (predict, embed, score-variants,
/// attention maps, fine-tuning evaluation, serve): it reads inputs a window at a time, orders the window by token
/// length, collates batches (<see cref="BatchCollator"/>), runs the model in eval mode without gradients, lets a
/// readout reduce each batch on the device, and returns the results in input order. Streaming: memory is bounded by
/// <see cref="InferenceOptions.SortWindow"/>, not by the number of inputs. Eval mode and no-grad hold only while a
/// window runs, never across the results handed back, so a caller may train between them.
/// </summary>
public sealed class InferenceRunner
{
    private readonly DnaModel model;
    private readonly long padId;

    /// <summary>A runner for <paramref name="model"/> on <paramref name="device"/> (where the model's weights are).</summary>
    public InferenceRunner(DnaModel model, Device device, InferenceOptions? options = null)
    {
        this.model = model;
        Device = device;
        Options = options ?? InferenceOptions.Default;
        ConfigLoader.Validate(Options, "inference options", "");
        padId = model.Config.PadTokenId ?? 0;
    }

    /// <summary>Where batches are built and the model runs.</summary>
    public Device Device { get; }

    /// <summary>How batches are formed.</summary>
    public InferenceOptions Options { get; }

    /// <summary>The model the runner drives.</summary>
    public DnaModel Model => model;

    /// <summary>
    /// Runs <paramref name="read"/> over every input and yields one result per input, in input order.
    /// </summary>
    /// <param name="inputs">Read lazily, one window at a time.</param>
    /// <param name="tokens">An input's token ids (with special tokens); called once per input.</param>
    /// <param name="read">Reduces a batch to one result per item, in the batch's item order; runs inside the batch's
    /// dispose scope, so tensors it does not copy out are freed with the batch.</param>
    /// <param name="extra">Hidden states or attentions the readout needs.</param>
    /// <param name="progress">Reported after every batch.</param>
    /// <param name="cancel">Checked before every batch.</param>
    /// <param name="heads">The heads whose logits the readout reads (null: every head the model has); the model
    /// skips the others (<see cref="DnaModel.Run"/>).</param>
    public IEnumerable<TOut> Run<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, TokenSequence> tokens,
        Func<InferenceBatch<TIn>, IReadOnlyList<TOut>> read, ExtraOutputs extra = ExtraOutputs.None,
        InferenceProgress? progress = null, CancellationToken cancel = default, ModelHeads? heads = null)
    {
        var window = new List<(TIn Item, TokenSequence Tokens)>(Math.Min(Options.SortWindow, 1 << 16));
        var done = new StrongBox<long>();
        foreach (var item in inputs)
        {
            window.Add((item, tokens(item)));
            if (window.Count < Options.SortWindow) continue;
            foreach (var r in RunWindow(window, read, extra, heads, progress, done, cancel)) yield return r;
            window.Clear();
        }
        if (window.Count > 0)
            foreach (var r in RunWindow(window, read, extra, heads, progress, done, cancel)) yield return r;
    }

    /// <summary>The window's results in its input order (not an iterator: eval mode and no-grad end before it returns).</summary>
    private TOut[] RunWindow<TIn, TOut>(List<(TIn Item, TokenSequence Tokens)> window,
        Func<InferenceBatch<TIn>, IReadOnlyList<TOut>> read, ExtraOutputs extra, ModelHeads? heads, InferenceProgress? progress, StrongBox<long> done, CancellationToken cancel)
    {
        var results = new TOut[window.Count];
        bool wasTraining = model.training;
        model.eval();
        try
        {
            foreach (var batch in Batches(window))
            {
                cancel.ThrowIfCancellationRequested();
                var outs = RunBatch(batch.Select(i => window[i]).ToList(), read, extra, heads);
                for (int k = 0; k < batch.Length; k++) results[batch[k]] = outs[k];
                done.Value += batch.Length;
                progress?.Sink.Report(new ProgressInfo(progress.Task, done.Value, progress.Total, progress.Unit));
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return results;
    }

    /// <summary>Window positions per batch: longest first (a memory problem shows at once), rows of similar length together.</summary>
    internal IEnumerable<int[]> Batches<TIn>(List<(TIn Item, TokenSequence Tokens)> window)
    {
        var order = Options.SortWindow == 1
            ? Enumerable.Range(0, window.Count).ToArray()
            : Enumerable.Range(0, window.Count).OrderByDescending(i => window[i].Tokens.Length).ToArray(); // stable
        int p = 0;
        while (p < order.Length)
        {
            int count = 1, widest = window[order[p]].Tokens.Length;
            while (p + count < order.Length && count < Options.BatchSize)
            {
                int w = Math.Max(widest, window[order[p + count]].Tokens.Length);
                if (Options.MaxBatchTokens > 0 && (long)(count + 1) * w > Options.MaxBatchTokens) break;
                widest = w;
                count++;
            }
            yield return order[p..(p + count)];
            p += count;
        }
    }

    private IReadOnlyList<TOut> RunBatch<TIn, TOut>(List<(TIn Item, TokenSequence Tokens)> rows,
        Func<InferenceBatch<TIn>, IReadOnlyList<TOut>> read, ExtraOutputs extra, ModelHeads? heads)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var batch = BatchCollator.Collate(rows.Select(r => r.Tokens).ToList(), padId, Device);
        // An unpadded batch needs no mask: the attention kernels run unmasked, as for one row.
        var output = model.Run(batch.InputIds, batch.MaskIfPadded,
            outputAttentions: extra.HasFlag(ExtraOutputs.Attentions), outputHiddenStates: extra.HasFlag(ExtraOutputs.HiddenStates), heads: heads);
        var results = read(new InferenceBatch<TIn>(rows.Select(r => r.Item).ToList(), batch, output, Device));
        if (results.Count != rows.Count)
            throw new InvalidOperationException($"a readout returned {results.Count} results for a batch of {rows.Count}");
        return results;
    }
}
