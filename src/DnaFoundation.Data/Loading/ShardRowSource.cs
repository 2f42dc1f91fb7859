using DnaFoundation.Core;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;

namespace DnaFoundation.Data.Loading;

/// <summary>
/// Rows from the shards of one split. An epoch permutes all row groups (seeded); rank r of W takes every W-th
/// (disjoint, deterministic); each shuffle window is <c>ShuffleChunks</c> consecutive row groups of that share,
/// whose rows are shuffled together.
/// </summary>
public sealed class ShardRowSource : IRowSource
{
    private readonly string dir;
    private readonly LoaderOptions o;
    private readonly (string File, int RowGroup)[] chunks;

    public ShardIndex Index { get; }

    public ShardRowSource(string shardDir, DataSplit split, LoaderOptions options)
    {
        dir = shardDir;
        o = options;
        var indexPath = Path.Combine(shardDir, ShardIndex.FileName);
        if (!File.Exists(indexPath)) throw new DnaInputException("no shard index here (run dnafm data shard first)", indexPath);
        Index = ShardIndex.Read(indexPath);
        var name = split.ToString().ToLowerInvariant();
        var list = new List<(string, int)>();
        foreach (var s in Index.Shards.Where(s => s.Split == name))
        {
            var file = Path.Combine(dir, s.File);
            Verify(file, s);
            using var r = ParquetShardReader.Open(file);
            for (int g = 0; g < r.RowGroupCount; g++) list.Add((s.File, g));
        }
        if (list.Count < options.WorldSize)
            throw new DnaInputException($"split '{name}' has {list.Count} row groups, fewer than the {options.WorldSize} ranks that must each read a disjoint part", indexPath);
        chunks = [.. list];
    }

    private long ChunksPerRank => chunks.Length / o.WorldSize;   // equal shares; the remainder rotates with the epoch

    /// <summary>
    /// A shard must be the file the index recorded (size and sha256) before Parquet.Net parses it: a damaged shard
    /// is then named, instead of reaching a decoder that may fail anywhere (fuzzing found corrupt footers on which
    /// Parquet.Net 6.1 loops forever; fuzz/README.md).
    /// </summary>
    private static void Verify(string file, ShardEntry s)
    {
        if (!File.Exists(file)) throw new DnaInputException($"shard {s.File} listed in the index is missing", file);
        long bytes = new FileInfo(file).Length;
        if (bytes != s.Bytes) throw new DnaInputException($"shard is {bytes} bytes, the index recorded {s.Bytes} (truncated or replaced)", file);
        using var stream = File.OpenRead(file);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
        if (!string.Equals(sha, s.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new DnaInputException("shard's sha256 differs from the one in the index (corrupted)", file);
    }

    public long? WindowsPerEpoch => (ChunksPerRank + o.ShuffleChunks - 1) / o.ShuffleChunks;

    public ShardRow[] ReadWindow(int epoch, long window)
    {
        var order = Enumerable.Range(0, chunks.Length).ToArray();
        DeterministicRng.Derive(o.Seed, epoch, 0xC4A2).Shuffle(order);
        var rows = new List<ShardRow>();
        long first = window * o.ShuffleChunks, last = Math.Min(first + o.ShuffleChunks, ChunksPerRank);
        for (long k = first; k < last; k++)
        {
            var (file, group) = chunks[order[k * o.WorldSize + o.Rank]];
            using var r = ParquetShardReader.Open(Path.Combine(dir, file));
            rows.AddRange(r.ReadRowGroupAsync(group).GetAwaiter().GetResult());
        }
        DeterministicRng.Derive(o.Seed, epoch, o.Rank, window, 0x5A1F).Shuffle(rows);
        return [.. rows];
    }
}
