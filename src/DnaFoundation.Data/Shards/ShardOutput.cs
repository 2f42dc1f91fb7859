using System.Collections.Concurrent;
using System.Threading.Channels;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// The writing end of <see cref="ShardBuilder"/>: begin a shard, hand over filled row groups, end it. Either inline,
/// or pipelined: a writer task fed through a small bounded queue encodes, compresses, hashes and writes while the
/// caller reads and tokenizes the next row groups. Row groups come back to a free list once written, so memory
/// stays at a few row groups whatever the genome. A finished shard's flush to disk, rename and index update run
/// in the background while the next shard is made (one at a time, in order): that is waiting on the disk, not CPU
/// work, and would otherwise stall the pipeline once per shard. <paramref name="finished"/> and
/// <paramref name="splitDone"/> are called in the order shards and splits were posted, never concurrently.
/// </summary>
internal sealed class ShardOutput(
    ShardContent content,
    ShardCompression compression,
    Func<string, IReadOnlyDictionary<string, string>> metadataFor,
    Action<string, string, int, string, long> finished,
    Action<string> splitDone,
    bool pipelined,
    CancellationToken ct) : IAsyncDisposable
{
    private abstract record Item;
    private sealed record Begin(string Split, string File, string Target) : Item;
    private sealed record Group(ShardRowGroup Rows) : Item;
    private sealed record End(int Rows) : Item;
    private sealed record SplitDone(string Split) : Item;

    private const int QueueLength = 4;
    private readonly ConcurrentQueue<ShardRowGroup> free = new();
    private Channel<Item>? queue;
    private Task? worker;
    private volatile bool aborted;
    private ParquetShardWriter? current;
    private Begin? currentShard;
    private Task committing = Task.CompletedTask;

    /// <summary>An empty row group to fill (recycled when possible).</summary>
    public ShardRowGroup NewGroup() => free.TryDequeue(out var g) ? g : new ShardRowGroup(content, ParquetShardWriter.DefaultRowGroupSize);

    public Task BeginShardAsync(string split, string file, string target) => PostAsync(new Begin(split, file, target));

    /// <summary>Hands <paramref name="group"/> over to be written; do not touch it afterwards.</summary>
    public Task AddAsync(ShardRowGroup group) => PostAsync(new Group(group));

    public Task EndShardAsync(int rows) => PostAsync(new End(rows));

    public Task SplitDoneAsync(string split) => PostAsync(new SplitDone(split));

    /// <summary>Waits until everything posted is written.</summary>
    public async Task CompleteAsync()
    {
        if (queue is not null)
        {
            queue.Writer.TryComplete();
            await worker!.ConfigureAwait(false);
        }
        await committing.ConfigureAwait(false);
    }

    /// <summary>Stops writing: whatever is still queued is dropped and a shard in progress is abandoned (its temp file deleted).</summary>
    public async Task AbortAsync()
    {
        aborted = true;
        if (queue is not null)
        {
            queue.Writer.TryComplete();
            await Quietly(worker!).ConfigureAwait(false);
        }
        await Quietly(committing).ConfigureAwait(false);   // a shard being committed lands before the caller rolls back
        await AbandonCurrentAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await AbortAsync().ConfigureAwait(false);

    private async Task PostAsync(Item item)
    {
        if (!pipelined)
        {
            await HandleAsync(item).ConfigureAwait(false);
            return;
        }
        if (queue is null)
        {
            queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(QueueLength) { SingleReader = true, SingleWriter = true });
            worker = Task.Run(DrainAsync, CancellationToken.None);
        }
        try
        {
            await queue.Writer.WriteAsync(item, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            await worker!.ConfigureAwait(false);   // the writer failed: surface its error
            throw;
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            await foreach (var item in queue!.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (aborted) break;
                await HandleAsync(item).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            queue!.Writer.TryComplete(e);   // wakes a caller blocked on a full queue
            throw;
        }
        finally
        {
            await AbandonCurrentAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(Item item)
    {
        ct.ThrowIfCancellationRequested();
        switch (item)
        {
            case Begin b:
                current = await ParquetShardWriter.CreateAsync(b.Target, content, metadataFor(b.Split), compression, ct).ConfigureAwait(false);
                currentShard = b;
                break;
            case Group g:
                await current!.WriteRowGroupAsync(g.Rows, ct).ConfigureAwait(false);
                g.Rows.Clear();
                free.Enqueue(g.Rows);
                break;
            case End e:
                var shard = current!;
                var job = currentShard!;
                current = null;
                var (sha, bytes) = await shard.FinishAsync().ConfigureAwait(false);
                await committing.ConfigureAwait(false);   // one commit in flight at a time; surfaces its error
                committing = Task.Run(async () =>
                {
                    await using (shard.ConfigureAwait(false)) shard.Commit();
                    finished(job.Split, job.File, e.Rows, sha, bytes);
                }, CancellationToken.None);
                break;
            case SplitDone s:
                await committing.ConfigureAwait(false);
                splitDone(s.Split);
                break;
        }
    }

    // The caller is already failing with its own error; a second one from here would only hide it.
    private static Task Quietly(Task t) => t.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    private async Task AbandonCurrentAsync()
    {
        var c = current;
        current = null;
        if (c is not null) await c.DisposeAsync().ConfigureAwait(false);
    }
}
