using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>
/// Reads a BGZF file (bgzip: a series of gzip members of at most 64 KiB each, the block size in an extra field) as
/// one stream of uncompressed bytes. Blocks are inflated in parallel a batch ahead of the reader, so decompression
/// scales with cores; each block's CRC-32 and size are checked as htslib checks them. Seeks go through a .gzi index.
/// </summary>
public sealed class BgzfReader : Stream
{
    private const int HeaderSize = 18;
    private readonly Stream file;
    private readonly string path;
    private readonly int threads;
    private readonly Queue<Block> ready = new();
    private Task<Block[]>? inflight;
    private long nextRawOffset;          // compressed offset of the next block not yet read from disk
    private long nextRawUncompressed;    // uncompressed offset where that block starts
    private bool rawEof;
    private Block? current;
    private int currentPos;
    private long position;

    /// <summary>Block starts seen so far (compressed offset, uncompressed offset), in order: what a .gzi holds.</summary>
    public List<GziEntry> BlockStarts { get; } = [];

    /// <param name="threads">Blocks inflated at once; 0 = all cores, 1 = inline on the reader's thread.</param>
    public BgzfReader(Stream file, string path, int threads = 0)
    {
        this.file = file;
        this.path = path;
        this.threads = threads <= 0 ? Environment.ProcessorCount : threads;
    }

    private sealed record Block(long RawOffset, long UncompressedOffset, byte[] Data, int Length);

    private readonly record struct RawBlock(long Offset, long UncompressedOffset, byte[] Bytes, int Size, uint Crc, int ISize);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => position;
        set => throw new NotSupportedException("use SeekUncompressed with a .gzi index");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        int total = 0;
        while (destination.Length > 0)
        {
            if (current is null || currentPos >= current.Length)
            {
                current = NextBlock();
                currentPos = 0;
                if (current is null) break;
                continue;
            }
            int n = Math.Min(destination.Length, current.Length - currentPos);
            current.Data.AsSpan(currentPos, n).CopyTo(destination);
            currentPos += n;
            destination = destination[n..];
            total += n;
        }
        position += total;
        return total;
    }

    /// <summary>Positions the stream at an uncompressed offset, starting from the nearest indexed block.</summary>
    public void SeekUncompressed(long offset, GziIndex index)
    {
        var start = index.BlockContaining(offset);
        inflight?.Wait();
        inflight = null;
        ready.Clear();
        current = null;
        file.Seek(start.CompressedOffset, SeekOrigin.Begin);
        nextRawOffset = start.CompressedOffset;
        nextRawUncompressed = start.UncompressedOffset;
        rawEof = false;
        position = start.UncompressedOffset;
        long skip = offset - start.UncompressedOffset;
        Span<byte> sink = stackalloc byte[4096];
        while (skip > 0)
        {
            int n = Read(sink[..(int)Math.Min(sink.Length, skip)]);
            if (n == 0) break;
            skip -= n;
        }
    }

    private Block? NextBlock()
    {
        while (true)
        {
            if (ready.Count > 0)
            {
                var b = ready.Dequeue();
                if (b.Length > 0) return b;
                continue;   // empty blocks (the EOF marker) carry no bytes
            }
            inflight ??= StartBatch();
            if (inflight is null) return null;
            Block[] batch;
            try { batch = inflight.GetAwaiter().GetResult(); }
            finally { inflight = null; }
            if (batch.Length == 0) return null;
            foreach (var b in batch) ready.Enqueue(b);
            inflight = StartBatch();   // inflate the next batch while this one is consumed
        }
    }

    private Task<Block[]>? StartBatch()
    {
        if (rawEof) return null;
        int batch = threads == 1 ? 1 : threads * 4;   // one block at a time when seeking for regions
        var raws = new List<RawBlock>(batch);
        for (int i = 0; i < batch; i++)
        {
            var raw = ReadRaw();
            if (raw is null) break;
            raws.Add(raw.Value);
        }
        if (raws.Count == 0) return Task.FromResult(Array.Empty<Block>());
        if (threads == 1) return Task.FromResult(raws.Select(Inflate).ToArray());
        return Task.Run(() =>
        {
            var result = new Block[raws.Count];
            try
            {
                Parallel.For(0, raws.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => result[i] = Inflate(raws[i]));
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // The reader reports the first bad block in file order, as a sequential reader would.
                var first = e.InnerExceptions.OfType<DnaInputException>().OrderBy(x => x.ByteOffset).FirstOrDefault();
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first ?? e.InnerExceptions[0]);
            }
            return result;
        });
    }

    /// <summary>Reads one whole block from disk; checks the header on the reader's thread (cheap), inflates later.</summary>
    private RawBlock? ReadRaw()
    {
        var header = new byte[HeaderSize];
        int n = file.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        if (n == 0) { rawEof = true; return null; }
        long at = nextRawOffset;
        if (n < HeaderSize) throw Truncated(at);
        if (header[0] != 0x1f || header[1] != 0x8b || header[2] != 8 || (header[3] & 4) == 0)
            throw new DnaInputException("not a BGZF block (expected a gzip member with a BC extra field); recompress with bgzip", path, byteOffset: at);
        int xlen = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(10));
        if (xlen != 6 || header[12] != 'B' || header[13] != 'C')
        {
            // Other extra subfields are legal in gzip but bgzip never writes them; htslib rejects them too.
            throw new DnaInputException("not a BGZF block (extra field is not the single BC subfield bgzip writes)", path, byteOffset: at);
        }
        int blockSize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(16)) + 1;
        int rest = blockSize - HeaderSize;
        if (rest < 8) throw new DnaInputException($"BGZF block size {blockSize} is too small", path, byteOffset: at);
        var body = new byte[rest];
        if (file.ReadAtLeast(body, rest, throwOnEndOfStream: false) < rest) throw Truncated(at);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(rest - 8));
        int isize = BinaryPrimitives.ReadInt32LittleEndian(body.AsSpan(rest - 4));
        if (isize < 0 || isize > 65536) throw new DnaInputException($"BGZF block claims {isize} uncompressed bytes (at most 65536)", path, byteOffset: at);
        var raw = new RawBlock(at, nextRawUncompressed, body, rest - 8, crc, isize);
        if (isize > 0) BlockStarts.Add(new GziEntry(at, nextRawUncompressed));   // htslib leaves the empty EOF block out
        nextRawOffset += blockSize;
        nextRawUncompressed += isize;
        return raw;
    }

    private Block Inflate(RawBlock raw)
    {
        var data = new byte[raw.ISize];
        try
        {
            using var ms = new MemoryStream(raw.Bytes, 0, raw.Size, writable: false);
            using var inflater = new DeflateStream(ms, CompressionMode.Decompress);
            int got = inflater.ReadAtLeast(data, raw.ISize, throwOnEndOfStream: false);
            if (got != raw.ISize || inflater.ReadByte() >= 0)
                throw new DnaInputException($"BGZF block inflates to a different size than its trailer says ({raw.ISize})", path, byteOffset: raw.Offset);
        }
        catch (InvalidDataException e)
        {
            throw new DnaInputException($"corrupt BGZF block: {e.Message}", path, byteOffset: raw.Offset, inner: e);
        }
        if (Crc32.HashToUInt32(data) != raw.Crc)
            throw new DnaInputException("BGZF block CRC-32 mismatch (corrupt file)", path, byteOffset: raw.Offset);
        return new Block(raw.Offset, raw.UncompressedOffset, data, raw.ISize);
    }

    private DnaInputException Truncated(long at) =>
        new("truncated BGZF file: the block starting here ends early", path, byteOffset: at);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try { inflight?.Wait(); } catch (AggregateException) { }
            file.Dispose();
        }
        base.Dispose(disposing);
    }
}
