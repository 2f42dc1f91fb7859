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
        if (options.Pack && options.SplitRows) throw new ArgumentException("Pack (sequences concatenated) and SplitRows (each sequence cut into rows) exclude each other", nameof(options));
        State = resume ?? LoaderState.Start(options.Seed, options.Rank, options.WorldSize);
        if (State.Seed != o.Seed || State.Rank != o.Rank || State.WorldSize != o.WorldSize)
            throw new DnaInputException($"loader state is for seed {State.Seed}, rank {State.Rank} of {State.WorldSize}; this loader has seed {o.Seed}, rank {o.Rank} of {o.WorldSize}");
        if (State.Epoch < 0 || State.Window < 0 || State.Row < 0 || State.TokenOffset < 0 || State.Batches < 0)
            throw new DnaInputException($"loader state has a negative position (epoch {State.Epoch}, window {State.Window}, row {State.Row}, token {State.TokenOffset}, batches {State.Batches})");
        // Only a resumed state can point past a window's end (the loader itself moves on at the end): checked here, once,
        // so that the error surfaces where the checkpoint is read and names it, not later on the loader thread.
        if (resume is { Row: > 0 } && (source.WindowsPerEpoch is not long per || resume.Window < per)
            && source.ReadWindow(resume.Epoch, resume.Window).Length is var held && resume.Row > held)
            throw new DnaInputException($"loader state is at row {resume.Row} of shuffle window {resume.Window} of epoch {resume.Epoch}, which holds {held} rows: the checkpoint was written over other data");
        queue = new BlockingCollection<Batch>(options.ReadAhead);
        var start = State;
        worker = new Thread(() => Produce(start)) { IsBackground = true, Name = "dnafm-loader" };
        worker.Start();
    }

    /// <summary>Batches from the shards in <paramref name="shardDir"/> (tokenizer from the index when it holds ids).</summary>
    public static StreamingLoader FromShards(string shardDir, DataSplit split, LoaderOptions options, DnaTokenizer? tokenizer = null, LoaderState? resume = null)
    {
        var source = new ShardRowSource(shardDir, split, options);
        var indexPath = Path.Combine(shardDir, ShardIndex.FileName);
        try
        {
            tokenizer ??= source.Index.Tokenizer is { } spec ? DnaTokenizers.Load(spec) : null;
        }
        catch (DnaInputException e) when (e.File is null)
        {
            throw new DnaInputException($"the index's tokenizer: {e.Message}", indexPath, inner: e);
        }
        if (tokenizer is null) throw new DnaInputException("sequence shards need a tokenizer to make batches", indexPath);
        return new StreamingLoader(source, options, tokenizer, tokenizer.PadId, resume);
    }

    /// <summary>Batches sampled straight from a manifest's FASTA files (HyenaDNA-style species sampling).</summary>
    /// <remarks>With <see cref="LoaderOptions.SplitRows"/> each sampled row is the first MaxTokens tokens read from its start (<see cref="PackedRow"/>).</remarks>
    public static StreamingLoader FromManifest(GenomeManifest manifest, DataSplit split, WindowOptions window, DnaTokenizer tokenizer, LoaderOptions options, LoaderState? resume = null, string? dataDir = null) =>
        new(new FastaSampleSource(manifest, split, window, options, dataDir, options.SplitRows ? tokenizer : null), options, tokenizer, tokenizer.PadId, resume);

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
        int truncated = 0;    // rows of the current batch cut at T
        // Split rows: an epoch read from its start that gave no row means every sequence is too short to fill one.
        bool epochFromStart = start is { Window: 0, Row: 0, TokenOffset: 0 }, anyRowThisEpoch = false;
        LoaderState After(int nextRow, int nextOffset) => new(epoch, window, nextRow, nextOffset, ++batches, o.Seed, o.Rank, o.WorldSize);
        Batch Emit(LoaderState after)
        {
            var batch = Assemble(pending, after, truncated);
            pending.Clear();
            truncated = 0;
            return batch;
        }
        while (o.Epochs is null || epoch < o.Epochs)
        {
            if (source.WindowsPerEpoch is long per && window >= per)
            {
                if (o.SplitRows && epochFromStart && !anyRowThisEpoch)
                    throw new DnaInputException($"no sequence of this split holds the {T - Frame.Length} tokens a row of {T} needs (max_length less the special tokens): use longer sequences (e.g. shards of longer windows) or rows of one sequence each (padded)");
                epoch++;
                window = 0;
                epochFromStart = true;
                anyRowThisEpoch = false;
                continue;
            }
            var rows = source.ReadWindow(epoch, window);
            var tokens = Tokenize(rows, epoch, window, row);
            for (; row < rows.Length; row++, tokenOffset = 0)
            {
                var tr = tokens[row - (rows.Length - tokens.Length)];
                if (o.SplitRows)
                {
                    // Consecutive rows of exactly T tokens from this sequence's content, each in the tokenizer's frame.
                    var (first, end) = ContentOf(tr.Ids);
                    int size = T - Frame.Length;
                    while (first + tokenOffset + size <= end)
                    {
                        pending.Add((Framed(tr, first + tokenOffset, size), 0, T));
                        tokenOffset += size;
                        anyRowThisEpoch = true;
                        if (pending.Count == B)
                            yield return Emit(first + tokenOffset + size <= end ? After(row, tokenOffset) : After(row + 1, 0));
                    }
                    continue;
                }
                if (!o.Pack)
                {
                    if (tr.Ids.Length > T)
                    {
                        truncated++;
                        pending.Add((Truncated(tr, T), 0, T));
                    }
                    else pending.Add((tr, 0, tr.Ids.Length));
                    if (pending.Count == B) yield return Emit(After(row + 1, 0));
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
                        yield return Emit(tokenOffset == tr.Ids.Length ? After(row + 1, 0) : After(row, tokenOffset));
                        packedFill = 0;
                    }
                }
            }
            window++;
            row = 0;
        }
        if (pending.Count > 0)
            yield return Emit(new LoaderState(epoch, window, 0, 0, ++batches, o.Seed, o.Rank, o.WorldSize));
    }

    /// <summary>The tokenizer's frame (prefix, suffix) around every sequence; none without a tokenizer (id shards read alone).</summary>
    private (int[] Prefix, int[] Suffix, int Length) Frame =>
        tokenizer is null ? ([], [], 0) : (tokenizer.Special.Prefix, tokenizer.Special.Suffix, tokenizer.Special.Prefix.Length + tokenizer.Special.Suffix.Length);

    /// <summary>Where a sequence's own tokens are: inside its frame when it carries one.</summary>
    private (int First, int End) ContentOf(int[] ids)
    {
        var (prefix, suffix, length) = Frame;
        bool framed = ids.Length >= length && ids.AsSpan(0, prefix.Length).SequenceEqual(prefix) && ids.AsSpan(ids.Length - suffix.Length).SequenceEqual(suffix);
        return framed ? (prefix.Length, ids.Length - suffix.Length) : (0, ids.Length);
    }

    /// <summary>Tokens [from, from + count) of a sequence in the tokenizer's frame (special tokens are never soft-masked).</summary>
    private TokenRow Framed(TokenRow tr, int from, int count)
    {
        var (prefix, suffix, length) = Frame;
        var ids = new int[count + length];
        var soft = new byte[count + length];
        prefix.CopyTo(ids, 0);
        tr.Ids.AsSpan(from, count).CopyTo(ids.AsSpan(prefix.Length));
        tr.Soft.AsSpan(from, count).CopyTo(soft.AsSpan(prefix.Length));
        suffix.CopyTo(ids, prefix.Length + count);
        return tr with { Ids = ids, Soft = soft };
    }

    /// <summary>A sequence cut to <paramref name="max"/> tokens as the tokenizer truncates: content cut on the right, the frame kept.</summary>
    private TokenRow Truncated(TokenRow tr, int max)
    {
        var (first, end) = ContentOf(tr.Ids);
        bool framed = end - first < tr.Ids.Length;
        int frame = framed ? Frame.Length : 0;
        if (max <= frame) return tr with { Ids = tr.Ids[..max], Soft = tr.Soft[..max] };
        return framed ? Framed(tr, first, max - frame) : tr with { Ids = tr.Ids[..max], Soft = tr.Soft[..max] };
    }

    /// <summary>Whether row <paramref name="row"/> of shuffle window <paramref name="window"/> is read on the reverse strand: a coin of where it is in the stream.</summary>
    internal static bool ReverseCoin(LoaderOptions o, int epoch, long window, int row) =>
        o.ReverseComplement && (DeterministicRng.Derive(o.Seed, epoch, o.Rank, window, row, 0x2C).NextUInt64() & 1) == 1;

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
            if (ReverseCoin(o, epoch, window, i))
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

    private Batch Assemble(List<(TokenRow Row, int From, int To)> parts, LoaderState after, int truncated)
    {
        int B = o.BatchSize;
        int width;
        if (o.Pack || o.SplitRows) width = o.MaxTokens;
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
        return new Batch(rows, width, ids, mask, soft, lengths, segIds, segments, after, truncated);
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
