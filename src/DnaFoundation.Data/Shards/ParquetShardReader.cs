using DnaFoundation.Core;
using Parquet;
using Parquet.Schema;

namespace DnaFoundation.Data.Shards;

/// <summary>Reads a shard one row group at a time (the loader's unit of read-ahead).</summary>
public sealed class ParquetShardReader : IAsyncDisposable, IDisposable
{
    private readonly ParquetReader reader;
    private readonly FileStream stream;
    private readonly DataField[] fields;

    public string Path { get; }
    public ShardContent Content { get; }
    public int RowGroupCount => reader.RowGroupCount;
    public IReadOnlyDictionary<string, string> Metadata => reader.CustomMetadata;

    private ParquetShardReader(string path, FileStream stream, ParquetReader reader)
    {
        Path = path;
        this.stream = stream;
        this.reader = reader;
        fields = reader.Schema.GetDataFields();
        Content = fields.Any(f => f.Name == "sequence") ? ShardContent.Sequence : ShardContent.InputIds;
    }

    public static async Task<ParquetShardReader> OpenAsync(string path, CancellationToken ct = default)
    {
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DnaInputException($"cannot open shard: {e.Message}", path, inner: e);
        }
        try
        {
            long dataEnd = ParquetStructureCheck.CheckFooter(fs, path);
            var reader = await ParquetReader.CreateAsync(fs, leaveStreamOpen: true, cancellationToken: ct).ConfigureAwait(false);
            try
            {
                ParquetStructureCheck.CheckPages(reader, fs, dataEnd, path);
            }
            catch
            {
                await reader.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            return new ParquetShardReader(path, fs, reader);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            await fs.DisposeAsync().ConfigureAwait(false);
            throw new DnaInputException($"not a readable Parquet shard: {e.GetType().Name}: {e.Message}", path, inner: e);
        }
    }

    public static ParquetShardReader Open(string path) => OpenAsync(path).GetAwaiter().GetResult();

    public long RowsIn(int rowGroup) => reader.OpenRowGroupReader(rowGroup).RowCount;

    /// <summary>
    /// Parquet.Net decodes untrusted bytes and fails on a corrupt file with whatever its decoder hit (a Thrift,
    /// Snappy or Zstd error, an index out of range, a missing column): every such failure is the file's, not ours.
    /// </summary>
    private static bool IsCorruption(Exception e) => e is not (DnaInputException or OperationCanceledException or OutOfMemoryException);

    public async Task<ShardRow[]> ReadRowGroupAsync(int index, CancellationToken ct = default)
    {
        try
        {
            return await ReadRowGroupCoreAsync(index, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw new DnaInputException($"row group {index} is not readable: {e.GetType().Name}: {e.Message}", Path, inner: e);
        }
    }

    private async Task<ShardRow[]> ReadRowGroupCoreAsync(int index, CancellationToken ct)
    {
        using var rg = reader.OpenRowGroupReader(index);
        int n = checked((int)rg.RowCount);
        var species = await Strings(rg, "species", n, ct).ConfigureAwait(false);
        var contig = await Strings(rg, "contig", n, ct).ConfigureAwait(false);
        var start = new long[n];
        await rg.ReadAsync<long>(Field("start"), start.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
        var end = new long[n];
        await rg.ReadAsync<long>(Field("end"), end.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
        var strand = await Strings(rg, "strand", n, ct).ConfigureAwait(false);
        var soft = new double[n];
        await rg.ReadAsync<double>(Field("soft_mask_fraction"), soft.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
        var rows = new ShardRow[n];
        if (Content == ShardContent.Sequence)
        {
            var seq = await Strings(rg, "sequence", n, ct).ConfigureAwait(false);
            for (int i = 0; i < n; i++) rows[i] = new ShardRow(species[i], contig[i], start[i], end[i], strand[i][0], soft[i], Sequence: seq[i]);
            return rows;
        }
        var idsField = fields.First(f => f.Path.ToString().StartsWith("input_ids", StringComparison.Ordinal));
        long nv = rg.GetMetadata(idsField)!.MetaData!.NumValues;
        var values = new int[nv];
        var defs = new int[nv];
        var reps = new int[nv];
        await rg.ReadRawAsync<int>(idsField, values.AsMemory(), defs.AsMemory(), reps.AsMemory(), ct).ConfigureAwait(false);
        var masks = new byte[]?[n];
        await rg.ReadAsync(Field("soft_mask"), masks.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
        int row = -1, from = 0;
        for (int k = 0; k <= nv; k++)
        {
            if (k < nv && reps[k] != 0) continue;
            if (row >= 0) rows[row] = new ShardRow(species[row], contig[row], start[row], end[row], strand[row][0], soft[row], InputIds: values[from..k], SoftMask: masks[row]);
            row++;
            from = k;
        }
        if (row != n) throw new DnaInputException($"row group {index} has {n} rows but {row} id lists", Path);
        return rows;
    }

    private DataField Field(string name) => fields.First(f => f.Name == name);

    private async Task<string[]> Strings(ParquetRowGroupReader rg, string name, int n, CancellationToken ct)
    {
        var values = new string?[n];
        await rg.ReadAsync(Field(name), values.AsMemory(), cancellationToken: ct).ConfigureAwait(false);
        return values.Select(v => v ?? "").ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync().ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
