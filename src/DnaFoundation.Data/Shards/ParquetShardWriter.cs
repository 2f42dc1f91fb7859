using System.Security.Cryptography;
using Parquet;

namespace DnaFoundation.Data.Shards;

/// <summary>Writes one shard atomically (temp file, then rename) in row groups the loader reads one at a time.</summary>
public static class ParquetShardWriter
{
    public const int DefaultRowGroupSize = 1024;

    /// <summary>Writes <paramref name="rows"/> to <paramref name="path"/>; returns its sha256 and size.</summary>
    public static async Task<(string Sha256, long Bytes)> WriteAsync(string path, IReadOnlyList<ShardRow> rows, ShardContent content,
        IReadOnlyDictionary<string, string>? metadata = null, int rowGroupSize = DefaultRowGroupSize, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await AtomicFile.WriteAsync(path, async stream =>
        {
            var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
            await using var writer = await ParquetWriter.CreateAsync(ShardSchema.For(content), stream, options, cancellationToken: ct).ConfigureAwait(false);
            if (metadata is not null) writer.CustomMetadata = metadata.ToDictionary();
            for (int from = 0; from < rows.Count; from += rowGroupSize)
            {
                var group = rows.Skip(from).Take(rowGroupSize).ToArray();
                using var rg = writer.CreateRowGroup();
                await WriteGroupAsync(rg, group, content, ct).ConfigureAwait(false);
            }
        }, ct).ConfigureAwait(false);
        await using var fs = File.OpenRead(path);
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(fs, ct).ConfigureAwait(false));
        return (sha, fs.Length);
    }

    private static async Task WriteGroupAsync(ParquetRowGroupWriter rg, ShardRow[] g, ShardContent content, CancellationToken ct)
    {
        await rg.WriteAsync(ShardSchema.Species, g.Select(r => r.Species).ToArray()).ConfigureAwait(false);
        await rg.WriteAsync(ShardSchema.Contig, g.Select(r => r.Contig).ToArray()).ConfigureAwait(false);
        await rg.WriteAsync<long>(ShardSchema.Start, g.Select(r => r.Start).ToArray(), cancellationToken: ct).ConfigureAwait(false);
        await rg.WriteAsync<long>(ShardSchema.End, g.Select(r => r.End).ToArray(), cancellationToken: ct).ConfigureAwait(false);
        await rg.WriteAsync(ShardSchema.Strand, g.Select(r => r.Strand.ToString()).ToArray()).ConfigureAwait(false);
        await rg.WriteAsync<double>(ShardSchema.SoftMaskFraction, g.Select(r => r.SoftMaskFraction).ToArray(), cancellationToken: ct).ConfigureAwait(false);
        if (content == ShardContent.Sequence)
        {
            await rg.WriteAsync(ShardSchema.Sequence, g.Select(r => r.Sequence ?? throw new InvalidOperationException("sequence shard row without a sequence")).ToArray()).ConfigureAwait(false);
            return;
        }
        int total = g.Sum(r => r.InputIds!.Length);
        var values = new int[total];
        var reps = new int[total];
        int k = 0;
        foreach (var r in g)
        {
            var ids = r.InputIds ?? throw new InvalidOperationException("id shard row without input_ids");
            if (ids.Length == 0) throw new InvalidOperationException("a row must have at least one token");
            for (int i = 0; i < ids.Length; i++, k++)
            {
                values[k] = ids[i];
                reps[k] = i == 0 ? 0 : 1;
            }
        }
        // Every list is present and non-empty: all definition levels are the maximum (no nulls, no empty lists).
        var defs = new int[total];
        Array.Fill(defs, ShardSchema.InputIdsElement.MaxDefinitionLevel);
        await rg.WriteAllPartsAsync<int>(ShardSchema.InputIdsElement, values, defs, reps, ct).ConfigureAwait(false);
        await rg.WriteAsync(ShardSchema.SoftMask, g.Select(r => r.SoftMask ?? new byte[r.InputIds!.Length]).ToArray()).ConfigureAwait(false);
    }
}
