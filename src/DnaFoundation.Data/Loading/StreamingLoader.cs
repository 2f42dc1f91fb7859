using System.Collections.Concurrent;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Loading;

/// <summary>
/// Batches for training, made on a background thread <see cref="LoaderOptions.ReadAhead"/> batches ahead of the
/// consumer. Deterministic for a seed and resumable exactly: <see cref="State"/> after any batch, given back to a
/// new loader, yields the very batches an uninterrupted loader would have yielded next.
/// Rows with sequences (sequence shards, FASTA sampling) are tokenized here, optionally reverse-complemented by a
/// coin derived from the row's position in the stream; id shards are used as stored.
/// </summary>
public sealed class StreamingLoader : IDisposable
{
    private readonly IRowSource source;
    private readonly LoaderOptions o;
    private readonly DnaTokenizer? tokenizer;
    private readonly int padId;
    private readonly BlockingCollection<Batch> queue;
    private readonly CancellationTokenSource stop = new();
    private readonly Thread worker;
    private Exception? failure;

    /// <summary>State after the last batch returned by <see cref="Next"/> (the start state before any).</summary>
    public LoaderState State { get; private set; }

    public StreamingLoader(IRowSource source, LoaderOptions options, DnaTokenizer? tokenizer, int padId, LoaderState? resume = null)
    {
        this.source = source;
        o = options;
        this.tokenizer = tokenizer;
        this.padId = padId;
        State = resume ?? LoaderState.Start(options.Seed, options.Rank, options.WorldSize);
        if (State.Seed != o.Seed || State.Rank != o.Rank || State.WorldSize != o.WorldSize)
            throw new DnaInputException($"loader state is for seed {State.Seed}, rank {State.Rank} of {State.WorldSize}; this loader has seed {o.Seed}, rank {o.Rank} of {o.WorldSize}");
        queue = new BlockingCollection<Batch>(options.ReadAhead);
        var start = State;
        worker = new Thread(() => Produce(start)) { IsBackground = true, Name = "dnafm-loader" };
        worker.Start();
    }

    /// <summary>Batches from the shards in <paramref name="shardDir"/> (tokenizer from the index when it holds ids).</summary>
    public static StreamingLoader FromShards(string shardDir, DataSplit split, LoaderOptions options, DnaTokenizer? tokenizer = null, LoaderState? resume = null)
    {
        var source = new ShardRowSource(shardDir, split, options);
        tokenizer ??= source.Index.Tokenizer is { } spec ? DnaTokenizers.Load(spec) : null;
        if (tokenizer is null) throw new DnaInputException("sequence shards need a tokenizer to make batches", Path.Combine(shardDir, ShardIndex.FileName));
        return new StreamingLoader(source, options, tokenizer, tokenizer.PadId, resume);
    }

    /// <summary>Batches sampled straight from a manifest's FASTA files (HyenaDNA-style species sampling).</summary>
    public static StreamingLoader FromManifest(GenomeManifest manifest, DataSplit split, WindowOptions window, DnaTokenizer tokenizer, LoaderOptions options, LoaderState? resume = null, string? dataDir = null) =>
        new(new FastaSampleSource(manifest, split, window, options, dataDir), options, tokenizer, tokenizer.PadId, resume);

    /// <summary>The next batch, or null when a finite number of epochs is done.</summary>
    public Batch? Next()
    {
        Batch? b = null;
        try
        {
            if (!queue.TryTake(out b, Timeout.Infinite, stop.Token)) b = null;
        }
        catch (InvalidOperationException) { b = null; }   // completed
        if (b is null && failure is not null) throw failure is DnaInputException ? failure : new InvalidOperationException("loader thread failed", failure);
        if (b is not null) State = b.StateAfter;
        return b;
    }

    private void Produce(LoaderState start)
    {
        try
        {
            foreach (var batch in Batches(start))
            {
                queue.Add(batch, stop.Token);
            }
        }
        catch (OperationCanceledException) { }
        // Rows are tokenized in parallel: a bad base comes wrapped; the user should see the input error itself.
        catch (AggregateException e) when (e.Flatten().InnerExceptions.OfType<DnaInputException>().FirstOrDefault() is { } input) { failure = input; }
        catch (Exception e) { failure = e; }
        finally { queue.CompleteAdding(); }
    }

    private readonly record struct TokenRow(int[] Ids, byte[] Soft, ShardRow Row);

    /// <summary>The batch stream from <paramref name="start"/>: rows in order, each tokenized, cut into batches.</summary>
    private IEnumerable<Batch> Batches(LoaderState start)
    {
        int B = o.BatchSize, T = o.MaxTokens;
        var pending = new List<(TokenRow Row, int From, int To)>();   // token ranges making up the next batch
        int epoch = start.Epoch;
        long window = start.Window, batches = start.Batches;
        int row = start.Row, tokenOffset = start.TokenOffset;
        int packedFill = 0;   // tokens placed in the current packed batch
        while (o.Epochs is null || epoch < o.Epochs)
        {
            if (source.WindowsPerEpoch is long per && window >= per)
            {
                epoch++;
                window = 0;
                continue;
            }
            var rows = source.ReadWindow(epoch, window);
            var tokens = Tokenize(rows, epoch, window, row);
            for (; row < rows.Length; row++, tokenOffset = 0)
            {
                var tr = tokens[row - (rows.Length - tokens.Length)];
                if (!o.Pack)
                {
                    pending.Add((tr, 0, Math.Min(tr.Ids.Length, T)));
                    if (pending.Count == B)
                    {
                        yield return Assemble(pending, new LoaderState(epoch, window, row + 1, 0, ++batches, o.Seed, o.Rank, o.WorldSize));
                        pending.Clear();
                    }
                    continue;
                }
                while (tokenOffset < tr.Ids.Length)
                {
                    int take = Math.Min(tr.Ids.Length - tokenOffset, B * T - packedFill);
                    pending.Add((tr, tokenOffset, tokenOffset + take));
                    tokenOffset += take;
                    packedFill += take;
                    if (packedFill == B * T)
                    {
                        var after = tokenOffset == tr.Ids.Length
                            ? new LoaderState(epoch, window, row + 1, 0, ++batches, o.Seed, o.Rank, o.WorldSize)
                            : new LoaderState(epoch, window, row, tokenOffset, ++batches, o.Seed, o.Rank, o.WorldSize);
                        yield return Assemble(pending, after);
                        pending.Clear();
                        packedFill = 0;
                    }
                }
            }
            window++;
            row = 0;
        }
        if (pending.Count > 0)
            yield return Assemble(pending, new LoaderState(epoch, window, 0, 0, ++batches, o.Seed, o.Rank, o.WorldSize));
    }

    // Tokenizes rows [from, end) of a window in parallel; the RC coin depends only on where the row is.
    private TokenRow[] Tokenize(ShardRow[] rows, int epoch, long window, int from)
    {
        var result = new TokenRow[rows.Length - from];
        Parallel.For(from, rows.Length, i =>
        {
            var r = rows[i];
            if (r.InputIds is { } ids)
            {
                result[i - from] = new TokenRow(ids, r.SoftMask ?? new byte[ids.Length], r);
                return;
            }
            var seq = r.Sequence!;
            if (o.ReverseComplement && (DeterministicRng.Derive(o.Seed, epoch, o.Rank, window, i, 0x2C).NextUInt64() & 1) == 1)
            {
                var b = Encoding.ASCII.GetBytes(seq);
                NucleotideAlphabet.ReverseComplementInPlace(b);
                seq = Encoding.ASCII.GetString(b);
                r = r with { Strand = r.Strand == '-' ? '+' : '-', Sequence = seq };
            }
            var row = ShardBuilder.ToRow(new GenomeWindow(r.Species, r.Contig, r.Start, r.End, r.Strand, Encoding.ASCII.GetBytes(seq)), tokenizer);
            result[i - from] = new TokenRow(row.InputIds!, row.SoftMask!, r);
        });
        return result;
    }

    private Batch Assemble(List<(TokenRow Row, int From, int To)> parts, LoaderState after)
    {
        int B = o.BatchSize;
        int width;
        if (o.Pack) width = o.MaxTokens;
        else
        {
            int longest = parts.Max(p => p.To - p.From);
            width = (longest + o.PadToMultipleOf - 1) / o.PadToMultipleOf * o.PadToMultipleOf;
        }
        int rows = o.Pack ? B : parts.Count;
        var ids = new long[rows * width];
        Array.Fill(ids, padId);
        var mask = new byte[rows * width];
        var soft = new byte[rows * width];
        var lengths = new int[rows];
        int[]? segIds = o.Pack ? new int[rows * width] : null;
        var segments = new List<BatchSegment>(parts.Count);
        int r = 0, col = 0, seg = 0;
        foreach (var (tr, from, to) in parts)
        {
            int n = to - from;
            int done = 0;
            while (done < n)
            {
                if (col == width) { r++; col = 0; seg = 0; }
                int m = o.Pack ? Math.Min(n - done, width - col) : n;
                int at = r * width + col;
                for (int k = 0; k < m; k++)
                {
                    ids[at + k] = tr.Ids[from + done + k];
                    soft[at + k] = tr.Soft[from + done + k];
                    mask[at + k] = 1;
                    if (segIds is not null) segIds[at + k] = seg;
                }
                var x = tr.Row;
                segments.Add(new BatchSegment(r, col, m, x.Species, x.Contig, x.Start, x.End, x.Strand));
                lengths[r] += m;
                col += m;
                done += m;
                seg++;
                if (!o.Pack) { r++; col = 0; seg = 0; }
            }
        }
        return new Batch(rows, width, ids, mask, soft, lengths, segIds, segments, after);
    }

    public void Dispose()
    {
        stop.Cancel();
        worker.Join(TimeSpan.FromSeconds(10));
        stop.Dispose();
        queue.Dispose();
        (source as IDisposable)?.Dispose();
    }
}
