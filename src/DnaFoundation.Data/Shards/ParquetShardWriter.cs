using DnaFoundation.Core;
using Parquet;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// Writes one shard, row group by row group, under a temp name; <see cref="FinishAsync"/> writes the footer and
/// returns its sha256 (hashed while writing) and size, <see cref="Commit"/> flushes it to disk and renames it into place.
/// Disposing an uncompleted writer deletes the temp file, so no reader ever sees a partial shard.
/// </summary>
internal sealed class ParquetShardWriter : IAsyncDisposable
{
    public const int DefaultRowGroupSize = 1024;

    private readonly AtomicFile.Pending file;
    private readonly HashingWriteStream hashing;
    private readonly ParquetWriter writer;
    private readonly ShardContent content;
    private int[] reps = [], defs = [];

    private ParquetShardWriter(AtomicFile.Pending file, HashingWriteStream hashing, ParquetWriter writer, ShardContent content)
    {
        this.file = file;
        this.hashing = hashing;
        this.writer = writer;
        this.content = content;
    }

    public static async Task<ParquetShardWriter> CreateAsync(string path, ShardContent content, IReadOnlyDictionary<string, string>? metadata,
        ShardCompression compression, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var file = AtomicFile.Create(path);
        var hashing = new HashingWriteStream(file.Stream);
        try
        {
            var writer = await ParquetWriter.CreateAsync(ShardSchema.For(content), hashing, compression.ParquetOptions(), cancellationToken: ct).ConfigureAwait(false);
            if (metadata is not null) writer.CustomMetadata = metadata.ToDictionary();
            return new ParquetShardWriter(file, hashing, writer, content);
        }
        catch
        {
            hashing.Dispose();
            file.Dispose();
            throw;
        }
    }

    public async Task WriteRowGroupAsync(ShardRowGroup g, CancellationToken ct = default)
    {
        if (g.Count == 0) return;
        int n = g.Count;
        using var rg = writer.CreateRowGroup();
        await rg.WriteAsync(ShardSchema.Species, new ArraySegment<string>(g.Species, 0, n)).ConfigureAwait(false);
        await rg.WriteAsync(ShardSchema.Contig, new ArraySegment<string>(g.Contig, 0, n)).ConfigureAwait(false);
        await rg.WriteAsync<long>(ShardSchema.Start, g.Start.AsMemory(0, n), cancellationToken: ct).ConfigureAwait(false);
        await rg.WriteAsync<long>(ShardSchema.End, g.End.AsMemory(0, n), cancellationToken: ct).ConfigureAwait(false);
        await rg.WriteAsync(ShardSchema.Strand, new ArraySegment<string>(g.Strand, 0, n)).ConfigureAwait(false);
        await rg.WriteAsync<double>(ShardSchema.SoftMaskFraction, g.SoftMaskFraction.AsMemory(0, n), cancellationToken: ct).ConfigureAwait(false);
        if (content == ShardContent.Sequence)
        {
            await rg.WriteAsync(ShardSchema.Sequence, new ArraySegment<string>(g.Sequence!, 0, n)).ConfigureAwait(false);
            return;
        }
        int total = g.IdCount;
        // Repetition level 0 starts a row's list, 1 continues it. Every list is present and non-empty, so all
        // definition levels are the maximum (no nulls, no empty lists).
        if (reps.Length < total)
        {
            reps = new int[total];
            defs = new int[total];
            Array.Fill(defs, ShardSchema.InputIdsElement.MaxDefinitionLevel);
        }
        reps.AsSpan(0, total).Fill(1);
        reps[0] = 0;
        for (int r = 0; r < n - 1; r++) reps[g.RowEnds![r]] = 0;
        await rg.WriteAllPartsAsync<int>(ShardSchema.InputIdsElement, g.Ids.AsMemory(0, total), defs.AsMemory(0, total), reps.AsMemory(0, total), ct).ConfigureAwait(false);
        await rg.WriteAsync(ShardSchema.SoftMask, new ArraySegment<byte[]>(g.SoftMask!, 0, n)).ConfigureAwait(false);
    }

    /// <summary>Writes the footer and hands the bytes to the OS; returns the file's sha256 (lowercase hex) and size.</summary>
    public async Task<(string Sha256, long Bytes)> FinishAsync()
    {
        await writer.DisposeAsync().ConfigureAwait(false);
        hashing.Flush();
        return (hashing.Sha256Hex(), hashing.Position);
    }

    /// <summary>After <see cref="FinishAsync"/>: flushes the file to disk and renames it into place (waits on the disk, not the CPU).</summary>
    public void Commit() => file.Commit();

    /// <summary>An uncompleted shard is abandoned: its temp file is deleted (no footer is written).</summary>
    public ValueTask DisposeAsync()
    {
        hashing.Dispose();
        file.Dispose();
        return ValueTask.CompletedTask;
    }
}
