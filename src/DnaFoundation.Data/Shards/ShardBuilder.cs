using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Windows;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// Manifest → windows → (tokens) → Parquet shards, per split: <c>OUT/train/shard-00000.parquet</c> … plus
/// <c>OUT/index.json</c>. Species are interleaved by weight with a seeded RNG; the row stream is deterministic, so
/// a re-run regenerates it, skips every shard the index lists as finished (and whose file is intact) and writes
/// only the rest. Each shard is written to a temp name and renamed; the index is rewritten after each shard.
/// </summary>
public sealed class ShardBuilder(GenomeManifest manifest, ShardBuildOptions options, IProgress<ProgressInfo>? progress = null)
{
    public sealed record Summary(int Written, int Skipped, long Rows);

    /// <summary>
    /// Builds the shards. Bad input (a <see cref="DnaInputException"/>) removes every shard this run wrote and
    /// restores the index as it was, so a failed run leaves nothing new; a killed run keeps its finished shards.
    /// </summary>
    public async Task<Summary> RunAsync(CancellationToken ct = default)
    {
        var indexPath = Path.Combine(options.OutDir, ShardIndex.FileName);
        var before = File.Exists(indexPath) ? File.ReadAllBytes(indexPath) : null;
        bool created = !Directory.Exists(options.OutDir);
        var dirsBefore = created ? [] : Directory.GetDirectories(options.OutDir).ToHashSet(StringComparer.Ordinal);
        writtenThisRun.Clear();
        try
        {
            return await BuildAsync(ct).ConfigureAwait(false);
        }
        catch (DnaInputException)
        {
            foreach (var f in writtenThisRun) AtomicFile.TryDelete(f);
            if (created)
            {
                TryDeleteTree(options.OutDir);
                throw;
            }
            foreach (var d in Directory.GetDirectories(options.OutDir).Where(d => !dirsBefore.Contains(d) && !Directory.EnumerateFileSystemEntries(d).Any()))
                TryDeleteTree(d);
            if (before is null) AtomicFile.TryDelete(indexPath);
            else RestoreIndex(indexPath, before);
            throw;
        }
    }

    /// <summary>
    /// Puts the index back as it was, less any shard this run replaced (and so deleted above): that happens when a
    /// genome changed under the same path and a listed shard came out with another row count.
    /// </summary>
    private void RestoreIndex(string indexPath, byte[] before)
    {
        ShardIndex old;
        try { old = ShardIndex.Parse(Encoding.UTF8.GetString(before), indexPath); }
        catch (DnaInputException)
        {
            AtomicFile.WriteAllBytes(indexPath, before);   // it was unreadable before the run, too
            return;
        }
        var replaced = old.Shards.Where(e => writtenThisRun.Contains(Path.Combine(options.OutDir, e.File))).ToList();
        if (replaced.Count == 0)
        {
            AtomicFile.WriteAllBytes(indexPath, before);
            return;
        }
        (old with
        {
            Shards = old.Shards.Except(replaced).ToList(),
            CompleteSplits = old.CompleteSplits.Where(s => !replaced.Any(e => e.Split == s)).ToList(),
        }).Write(options.OutDir);
    }

    private readonly List<string> writtenThisRun = [];

    private async Task<Summary> BuildAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(options.OutDir);
        RemoveStaleTempFiles(options.OutDir);
        var tokenizer = options.Tokenizer is null ? null : DnaTokenizers.Load(options.Tokenizer);
        var content = tokenizer is null ? ShardContent.Sequence : ShardContent.InputIds;
        var settings = Fingerprint(tokenizer);
        var previous = ShardIndex.TryRead(options.OutDir);
        if (previous is not null && previous.Settings != settings)
            throw new DnaInputException($"holds shards made with other settings ({previous.Settings}); use a new output folder", Path.Combine(options.OutDir, ShardIndex.FileName));
        var known = (previous?.Shards ?? []).ToDictionary(e => e.File, StringComparer.Ordinal);
        // Owned by the writing side (ShardOutput's callbacks), which rewrites the index after each shard.
        var entries = new List<ShardEntry>(previous?.Shards ?? []);
        var complete = new List<string>(previous?.CompleteSplits ?? []);
        void WriteIndex() => new ShardIndex(ShardIndex.FormatName, content, options.Tokenizer, settings, options.RowsPerShard, Sorted(entries), complete).Write(options.OutDir);
        await using var output = new ShardOutput(content, options.Compression,
            split => new Dictionary<string, string> { ["dnafm.settings"] = settings, ["dnafm.split"] = split },
            (split, file, rows, sha, bytes) =>
            {
                entries.RemoveAll(e => e.File == file);
                entries.Add(new ShardEntry(split, file, rows, sha, bytes));
                WriteIndex();
            },
            split =>
            {
                if (!complete.Contains(split)) complete.Add(split);
                WriteIndex();
            },
            // With more than one thread, shards are encoded and written while the next rows are read and tokenized.
            pipelined: options.Threads != 1 && Environment.ProcessorCount > 1, ct);
        int written = 0, skipped = 0;
        long rows = 0;
        try
        {
            foreach (var split in options.SplitsOrAll)
            {
                var splitName = split.ToString().ToLowerInvariant();
                using var windows = Windows(split).GetEnumerator();
                var cursor = new SplitCursor(windows);
                for (int shardNo = 0; ; shardNo++)
                {
                    var file = $"{splitName}/shard-{shardNo:D5}.parquet";
                    int n;
                    if (known.TryGetValue(file, out var k) && Intact(k))
                    {
                        // Finished by an earlier run: regenerate only the windows (no tokens) to confirm the row count.
                        var held = TakeShard(cursor, ct).ToList();
                        n = held.Count;
                        if (n == 0) break;
                        if (n == k.Rows) skipped++;
                        else
                        {
                            await WriteShardAsync(output, splitName, file, held, tokenizer).ConfigureAwait(false);
                            written++;
                        }
                    }
                    else
                    {
                        n = await WriteShardAsync(output, splitName, file, TakeShard(cursor, ct), tokenizer).ConfigureAwait(false);
                        if (n == 0) break;
                        written++;
                    }
                    rows += n;
                    progress?.Report(new ProgressInfo("shard", rows, null, "rows", file));
                    if (n < options.RowsPerShard) break;
                }
                await output.SplitDoneAsync(splitName).ConfigureAwait(false);
            }
            await output.CompleteAsync().ConfigureAwait(false);
        }
        catch
        {
            // Let the writer stop (dropping what is queued, abandoning a shard in progress) before the caller rolls
            // back, so nothing is renamed in afterwards.
            await output.AbortAsync().ConfigureAwait(false);
            throw;
        }
        return new Summary(written, skipped, rows);
    }

    /// <summary>A split's window stream and how many rows it has given (for MaxRowsPerSplit).</summary>
    private sealed class SplitCursor(IEnumerator<GenomeWindow> windows)
    {
        public IEnumerator<GenomeWindow> Windows { get; } = windows;
        public long Taken { get; set; }
    }

    /// <summary>The next shard's windows: up to RowsPerShard, fewer at the end of the split or its row cap.</summary>
    private IEnumerable<GenomeWindow> TakeShard(SplitCursor c, CancellationToken ct)
    {
        for (int i = 0; i < options.RowsPerShard; i++)
        {
            ct.ThrowIfCancellationRequested();
            if (options.MaxRowsPerSplit is long max && c.Taken >= max) yield break;
            if (!c.Windows.MoveNext()) yield break;
            c.Taken++;
            yield return c.Windows.Current;
        }
    }

    /// <summary>Tokenizes <paramref name="windows"/> row group by row group into one shard; returns its rows (0: no shard).</summary>
    private async Task<int> WriteShardAsync(ShardOutput output, string splitName, string file, IEnumerable<GenomeWindow> windows, DnaTokenizer? tokenizer)
    {
        int n = 0;
        ShardRowGroup? group = null;
        foreach (var w in windows)
        {
            if (n == 0)
            {
                var target = Path.Combine(options.OutDir, file);
                writtenThisRun.Add(target);
                await output.BeginShardAsync(splitName, file, target).ConfigureAwait(false);
            }
            group ??= output.NewGroup();
            try
            {
                group.Add(w, tokenizer);
            }
            catch (DnaInputException e) when (e.File is null)
            {
                // The tokenizer names the window and the position in it (e.g. a 'U', which FASTA allows and DNA
                // tokenizers do not), but not the file the window came from.
                var species = manifest.Species.First(s => s.Name == w.Species);
                throw new DnaInputException(e.Message, GenomeFiles.Resolve(manifest, species, options.DataDir), inner: e);
            }
            n++;
            if (group.IsFull)
            {
                await output.AddAsync(group).ConfigureAwait(false);
                group = null;
            }
        }
        if (group is not null) await output.AddAsync(group).ConfigureAwait(false);
        if (n > 0) await output.EndShardAsync(n).ConfigureAwait(false);
        return n;
    }

    /// <summary>The split's windows: each species' stream, interleaved by weight (seeded), RC augmentation applied.</summary>
    public IEnumerable<GenomeWindow> Windows(DataSplit split)
    {
        var species = manifest.Species.Where(s => s.Weight > 0).ToList();
        var streams = species.Select(s => FastaWindows.Read(GenomeFiles.Resolve(manifest, s, options.DataDir), s.Name, options.Window,
            contig => s.SplitsOrDefault.SplitOf(contig) == split, options.Threads).GetEnumerator()).ToList();
        var weights = species.Select(s => s.Weight).ToList();
        var rng = DeterministicRng.Derive(options.Seed, (long)split, 0x5EED);
        try
        {
            while (weights.Any(w => w > 0))
            {
                int i = rng.NextWeighted(weights);
                if (!streams[i].MoveNext())
                {
                    weights[i] = 0;
                    continue;
                }
                var w = streams[i].Current;
                switch (options.ReverseComplement)
                {
                    case ReverseComplementMode.None:
                        yield return w;
                        break;
                    case ReverseComplementMode.Random:
                        yield return CoinFor(w) ? w.ReverseComplement() : w;
                        break;
                    default:
                        yield return w;
                        yield return w.ReverseComplement();
                        break;
                }
            }
        }
        finally
        {
            foreach (var s in streams) s.Dispose();
        }
    }

    // The strand of a window depends only on the seed and where the window is, not on the order windows come in.
    private bool CoinFor(GenomeWindow w) =>
        (DeterministicRng.Derive(options.Seed, StableHash(w.Species), StableHash(w.Contig), w.Start).NextUInt64() & 1) == 1;

    internal static long StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 1099511628211UL; }
        return (long)h;
    }

    private ShardRow[] ToRows(List<GenomeWindow> windows, DnaTokenizer? tokenizer)
    {
        var rows = new ShardRow[windows.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Threads <= 0 ? Environment.ProcessorCount : options.Threads };
        Parallel.For(0, windows.Count, parallel, i => rows[i] = ToRow(windows[i], tokenizer));
        return rows;
    }

    /// <summary>One window as a shard row (the loader's FASTA source uses this; shards are written column-wise by <see cref="ShardRowGroup"/>).</summary>
    public static ShardRow ToRow(GenomeWindow w, DnaTokenizer? tokenizer)
    {
        if (tokenizer is null)
            return new ShardRow(w.Species, w.Contig, w.Start, w.End, w.Strand, w.SoftMaskFraction, Sequence: Encoding.ASCII.GetString(w.Bases));
        var o = ShardRowGroup.EncodeOptionsFor(w);
        int max = tokenizer.MaxTokenCount(w.Length, o);
        var ids = new int[max];
        var soft = new byte[max];
        int n = tokenizer.EncodeIds(w.Bases, ids, soft, o);
        return new ShardRow(w.Species, w.Contig, w.Start, w.End, w.Strand, w.SoftMaskFraction,
            InputIds: n == max ? ids : ids[..n], SoftMask: n == max ? soft : soft[..n]);
    }

    private bool Intact(ShardEntry e)
    {
        var path = Path.Combine(options.OutDir, e.File);
        return File.Exists(path) && new FileInfo(path).Length == e.Bytes;
    }

    private string Fingerprint(DnaTokenizer? tokenizer)
    {
        var w = options.Window;
        var species = string.Join(",", manifest.Species.Select(s => $"{s.Name}:{s.Weight}:{s.Fasta}"));
        return $"manifest={manifest.Name}[{species}];window={w.Length}/{w.EffectiveStride}/n{w.SplitAtNRun}/{w.MaxNFraction};tokenizer={tokenizer?.Spec ?? "none"};" +
               $"rows={options.RowsPerShard};rc={options.ReverseComplement};seed={options.Seed};max={options.MaxRowsPerSplit}" +
               // Snappy shards were written before the codec was a setting; their fingerprint stays as it was.
               (options.Compression == ShardCompression.Snappy ? "" : $";codec={options.Compression.ToString().ToLowerInvariant()}");
    }

    private static List<ShardEntry> Sorted(List<ShardEntry> e) => e.OrderBy(x => x.File, StringComparer.Ordinal).ToList();

    private static void TryDeleteTree(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void RemoveStaleTempFiles(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir, ".*.tmp-*", SearchOption.AllDirectories)) AtomicFile.TryDelete(f);
    }
}
