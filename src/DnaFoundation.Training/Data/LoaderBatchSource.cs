using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Data.Loading;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Data;

/// <summary>
/// Micro-batches from the Data project's <see cref="StreamingLoader"/> (shards or a manifest streamed directly).
/// The loader's own <see cref="LoaderState"/> is the checkpointed position: it is taken after the last batch the
/// trainer consumed (not after what the read-ahead thread prepared), and a restore starts a new loader there, so a
/// resumed run reads exactly the batches an uninterrupted one would have read. A fresh loader is started on the first
/// <see cref="Next"/> (restoring before training costs no wasted read-ahead); a restored one at once, so a position
/// that does not fit this run (another seed, rank count or shard set) is refused while the checkpoint is being read.
/// </summary>
public sealed class LoaderBatchSource : IBatchSource
{
    private readonly string kind;
    private readonly Func<LoaderState?, StreamingLoader> open;
    private StreamingLoader? loader;
    private LoaderState? position;

    /// <param name="kind">Names the stream in checkpoints ("shards", "manifest"): a resume from another kind is refused.</param>
    /// <param name="open">Starts a loader at a state (null = the beginning).</param>
    public LoaderBatchSource(string kind, Func<LoaderState?, StreamingLoader> open)
    {
        this.kind = kind;
        this.open = open;
    }

    public TrainingBatch Next()
    {
        loader ??= open(position);
        var b = loader.Next() ?? throw new InvalidOperationException("the training stream ended; it is configured to cycle over epochs");
        position = loader.State;
        long[] shape = [b.Size, b.Length];
        var attention = new long[b.AttentionMask.Length];
        var soft = new bool[b.SoftMask.Length];
        for (int i = 0; i < attention.Length; i++)
        {
            attention[i] = b.AttentionMask[i];
            soft[i] = b.SoftMask[i] != 0;
        }
        long tokens = 0;
        foreach (var n in b.Lengths) tokens += n;
        return new TrainingBatch(tensor(b.InputIds, shape), tensor(attention, shape), tensor(soft, shape), null, null, tokens, b.TruncatedRows);
    }

    public JsonNode SaveState() => new JsonObject
    {
        ["kind"] = kind,
        ["loader"] = JsonNode.Parse((position ?? loader?.State)?.ToJson() ?? "null"),
    };

    public void RestoreState(JsonNode state)
    {
        if (state["kind"]?.GetValue<string>() != kind)
            throw new DnaInputException($"the checkpoint's loader state is a '{state["kind"]}' stream, this run reads '{kind}' (was the data config changed?)");
        var saved = state["loader"];
        loader?.Dispose();
        loader = null;
        position = saved is null ? null : LoaderState.FromJson(saved.ToJsonString());
        if (position is not null) loader = open(position);
    }

    public void Dispose() => loader?.Dispose();
}
