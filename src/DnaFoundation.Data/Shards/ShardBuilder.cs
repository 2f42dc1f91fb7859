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
        writtenThisRun.Clear();
        try
        {
            return await BuildAsync(ct).ConfigureAwait(false);
        }
        catch (DnaInputException)
        {
            foreach (var f in writtenThisRun) AtomicFile.TryDelete(f);
            if (created) TryDeleteTree(options.OutDir);
            else if (before is null) AtomicFile.TryDelete(indexPath);
            else AtomicFile.WriteAllBytes(indexPath, before);
            throw;
        }
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
            throw new DnaInputException($"holds shards made with other settings ({previous.Settings}); use a new --out folder", Path.Combine(options.OutDir, ShardIndex.FileName));
        var entries = new List<ShardEntry>(previous?.Shards ?? []);
        var complete = new List<string>(previous?.CompleteSplits ?? []);
        int written = 0, skipped = 0;
        long rows = 0;
        Task? writing = null;
        bool overlap = options.Threads != 1 && Environment.ProcessorCount > 1;
        async Task WriteShardAsync(string splitName, string file, string target, ShardRow[] shardRows)
        {
            var meta = new Dictionary<string, string> { ["dnafm.settings"] = settings, ["dnafm.split"] = splitName };
            var (sha, bytes) = await ParquetShardWriter.WriteAsync(target, shardRows, content, meta, ct: ct).ConfigureAwait(false);
            lock (entries)
            {
                entries.RemoveAll(e => e.File == file);
                entries.Add(new ShardEntry(splitName, file, shardRows.Length, sha, bytes));
                new ShardIndex(ShardIndex.FormatName, content, options.Tokenizer, settings, options.RowsPerShard, Sorted(entries), complete).Write(options.OutDir);
            }
        }
        try
        {
            await BuildSplitsAsync().ConfigureAwait(false);
        }
        catch
        {
            // Let an in-flight shard land before the caller rolls back, so nothing is renamed in afterwards.
            if (writing is not null) await writing.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        return new Summary(written, skipped, rows);

        async Task BuildSplitsAsync()
        {
            foreach (var split in options.SplitsOrAll)
            {
                var splitName = split.ToString().ToLowerInvariant();
                var batch = new List<GenomeWindow>(options.RowsPerShard);
                int shardNo = 0;
                async Task Flush()
                {
                    var file = $"{splitName}/shard-{shardNo:D5}.parquet";
                    ShardEntry? known;
                    lock (entries) known = entries.FirstOrDefault(e => e.File == file);
                    if (known is not null && Intact(known) && known.Rows == batch.Count)
                    {
                        skipped++;
                    }
                    else
                    {
                        var shardRows = ToRows(batch, tokenizer);
                        var target = Path.Combine(options.OutDir, file);
                        writtenThisRun.Add(target);
                        if (writing is not null) await writing.ConfigureAwait(false);
                        // With more than one thread, the shard is written while the next one is read and tokenized.
                        writing = overlap ? Task.Run(() => WriteShardAsync(splitName, file, target, shardRows), ct) : null;
                        if (!overlap) await WriteShardAsync(splitName, file, target, shardRows).ConfigureAwait(false);
                        written++;
                    }
                    rows += batch.Count;
                    progress?.Report(new ProgressInfo("shard", rows, null, "rows", file));
                    batch.Clear();
                    shardNo++;
                }
                long inSplit = 0;
                foreach (var w in Windows(split))
                {
                    ct.ThrowIfCancellationRequested();
                    if (options.MaxRowsPerSplit is long max && inSplit >= max) break;
                    batch.Add(w);
                    inSplit++;
                    if (batch.Count == options.RowsPerShard) await Flush().ConfigureAwait(false);
                }
                if (batch.Count > 0) await Flush().ConfigureAwait(false);
                if (writing is not null) await writing.ConfigureAwait(false);
                writing = null;
                if (!complete.Contains(splitName)) complete.Add(splitName);
                new ShardIndex(ShardIndex.FormatName, content, options.Tokenizer, settings, options.RowsPerShard, Sorted(entries), complete).Write(options.OutDir);
            }
        }
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

    public static ShardRow ToRow(GenomeWindow w, DnaTokenizer? tokenizer)
    {
        var sequence = Encoding.ASCII.GetString(w.Bases);
        if (tokenizer is null)
            return new ShardRow(w.Species, w.Contig, w.Start, w.End, w.Strand, w.SoftMaskFraction, Sequence: sequence);
        var e = tokenizer.Encode(sequence, new EncodeOptions { SequenceName = $"{w.Contig}:{w.Start + 1}-{w.End}" });
        var soft = new byte[e.Length];
        for (int t = 0; t < soft.Length; t++) soft[t] = e.SoftMasked[t] ? (byte)1 : (byte)0;
        return new ShardRow(w.Species, w.Contig, w.Start, w.End, w.Strand, w.SoftMaskFraction, InputIds: e.Ids, SoftMask: soft);
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
               $"rows={options.RowsPerShard};rc={options.ReverseComplement};seed={options.Seed};max={options.MaxRowsPerSplit}";
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
