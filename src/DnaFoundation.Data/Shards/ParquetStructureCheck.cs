using DnaFoundation.Core;
using Parquet;
using Parquet.Schema;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// Checks a shard's structure before Parquet.Net decodes it, so a damaged file is one input error and never a hang
/// or an allocation of gigabytes (fuzz/README.md has the findings). The footer is walked by
/// <see cref="ThriftCompactWalker"/>; then every column chunk's pages are followed as Parquet.Net will follow them
/// (from the first page until the chunk's value count is reached): each page header must parse, each page must lie
/// inside the data, data pages must hold values (Parquet.Net loops on a page that adds none), and no count or size
/// may exceed what a file of this size can hold.
/// </summary>
internal static class ParquetStructureCheck
{
    private const int Magic = 4, Footer = 8;

    /// <summary>
    /// A generous ceiling on any row, value or uncompressed page count: 64 per byte of file (plus 1 Mi). A shard's
    /// token ids alone take about a byte each even compressed, and its constant columns (a soft-mask fraction of 0)
    /// hold one value per row, so real shards stay far below it, while a damaged count cannot ask for gigabytes.
    /// </summary>
    public static long Ceiling(long fileLength) => 64 * fileLength + (1 << 20);

    /// <summary>The length in the footer, its bounds and the metadata it frames. Returns where the data ends.</summary>
    public static long CheckFooter(FileStream fs, string path)
    {
        long size = fs.Length;
        if (size < Magic + Footer)
            throw new DnaInputException($"not a readable Parquet shard: {size} bytes is shorter than a Parquet file's magic and footer", path);
        Span<byte> tail = stackalloc byte[Footer];
        fs.Seek(-Footer, SeekOrigin.End);
        fs.ReadExactly(tail);
        if (!tail[4..].SequenceEqual("PAR1"u8))
            throw new DnaInputException("not a readable Parquet shard: the file does not end with PAR1", path, byteOffset: size - 4);
        uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(tail);
        // Parquet.Net allocates this length before reading it: a damaged one would cost up to 4 GiB.
        if (length > size - Magic - Footer)
            throw new DnaInputException($"not a readable Parquet shard: the footer gives {length} bytes of metadata, the file holds {size - Magic - Footer} before it", path, byteOffset: size - Footer);
        long start = size - Footer - length;
        var metadata = new byte[length];
        fs.Seek(start, SeekOrigin.Begin);
        fs.ReadExactly(metadata);
        fs.Seek(0, SeekOrigin.Begin);
        new ThriftCompactWalker(metadata, start, path).Walk("FileMetaData");
        return start;
    }

    /// <summary>Follows every column chunk's pages; <paramref name="dataEnd"/> is where the footer's metadata starts.</summary>
    public static void CheckPages(ParquetReader reader, FileStream fs, long dataEnd, string path)
    {
        long ceiling = Ceiling(fs.Length);
        var fields = reader.Schema.GetDataFields();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            if (rg.RowCount < 0 || rg.RowCount > ceiling)
                throw new DnaInputException($"not a readable Parquet shard: row group {g} claims {rg.RowCount} rows in a file of {fs.Length} bytes", path);
            foreach (DataField field in fields)
            {
                var meta = rg.GetMetadata(field)?.MetaData
                    ?? throw new DnaInputException($"not a readable Parquet shard: row group {g} has no column chunk for '{field.Name}'", path);
                CheckChunk(fs, meta, dataEnd, ceiling, path, $"row group {g} column '{field.Name}'");
            }
        }
        fs.Seek(0, SeekOrigin.Begin);
    }

    private static void CheckChunk(FileStream fs, Parquet.Meta.ColumnMetaData meta, long dataEnd, long ceiling, string path, string where)
    {
        if (meta.NumValues < 0 || meta.NumValues > ceiling)
            throw new DnaInputException($"not a readable Parquet shard: {where} claims {meta.NumValues} values in a file of {fs.Length} bytes", path);
        // Parquet.Net starts at the lower of the dictionary and data page offsets that are set.
        long[] starts = [.. new[] { meta.DictionaryPageOffset ?? 0, meta.DataPageOffset }.Where(o => o != 0)];
        if (starts.Length == 0)
            throw new DnaInputException($"not a readable Parquet shard: {where} gives no page offset", path);
        long position = starts.Min();
        long values = 0;
        bool dictionary = false;
        while (values < meta.NumValues)
        {
            if (position < Magic || position >= dataEnd)
                throw new DnaInputException($"not a readable Parquet shard: {where} has a page at byte {position}, outside the data (bytes {Magic}..{dataEnd})", path);
            var header = ReadPageHeader(fs, position, dataEnd, path);
            long Get(string field) => header.Values.TryGetValue(field, out var v) ? v
                : throw new DnaInputException($"not a readable Parquet shard: {where}: the page header lacks field {field}", path, byteOffset: position);
            long type = Get("1"), uncompressed = Get("2"), compressed = Get("3");
            long body = position + header.Position;
            if (compressed < 0 || body + compressed > dataEnd)
                throw new DnaInputException($"not a readable Parquet shard: {where}: a page of {compressed} bytes at byte {body} runs past the data (byte {dataEnd})", path, byteOffset: position);
            if (uncompressed < 0 || uncompressed > ceiling)
                throw new DnaInputException($"not a readable Parquet shard: {where}: a page claims {uncompressed} bytes uncompressed in a file of {fs.Length} bytes", path, byteOffset: position);
            switch (type)
            {
                case 2 when !dictionary && values == 0:
                    dictionary = true;
                    long entries = Get("7.1");
                    if (entries < 0 || entries > 8 * uncompressed + 8)
                        throw new DnaInputException($"not a readable Parquet shard: {where}: a dictionary of {entries} entries in {uncompressed} bytes", path, byteOffset: position);
                    break;
                case 0 or 3:
                    long n = Get(type == 0 ? "5.1" : "8.1");
                    if (n <= 0)
                        throw new DnaInputException($"not a readable Parquet shard: {where}: a data page with {n} values", path, byteOffset: position);
                    if (type == 3 && (Get("8.5") < 0 || Get("8.6") < 0 || Get("8.5") + Get("8.6") > compressed))
                        throw new DnaInputException($"not a readable Parquet shard: {where}: a page's level lengths exceed its {compressed} bytes", path, byteOffset: position);
                    values += n;
                    break;
                default:
                    throw new DnaInputException($"not a readable Parquet shard: {where}: a page of type {type} where a {(dictionary || values > 0 ? "data" : "dictionary or data")} page is expected", path, byteOffset: position);
            }
            position = body + compressed;
        }
    }

    /// <summary>Walks the page header at <paramref name="position"/>, reading a longer stretch while the header needs it.</summary>
    private static ThriftCompactWalker ReadPageHeader(FileStream fs, long position, long dataEnd, string path)
    {
        for (long want = 1 << 12; ; want *= 4)
        {
            int length = (int)Math.Min(want, dataEnd - position);
            var buffer = new byte[length];
            fs.Seek(position, SeekOrigin.Begin);
            fs.ReadExactly(buffer);
            bool more = length < dataEnd - position;
            var walker = new ThriftCompactWalker(buffer, position, path, more, keepValues: true);
            try
            {
                walker.Walk("PageHeader");
                return walker;
            }
            catch (ThriftCompactWalker.NeedMoreBytes) when (more)
            {
            }
        }
    }
}
