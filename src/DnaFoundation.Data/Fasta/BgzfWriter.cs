using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace DnaFoundation.Data.Fasta;

/// <summary>
/// Writes BGZF (SAM/BAM spec §4.1, what bgzip writes): the bytes are cut into blocks of at most
/// <see cref="MaxBlockData"/> uncompressed bytes, each a complete gzip member whose extra field is the single
/// <c>BC</c> subfield holding the member's size − 1, with CRC-32 and ISIZE, and the file ends with the standard
/// 28-byte empty EOF block. Memory is bounded: a few blocks per thread, whatever the input size. With
/// <c>threads</c> &gt; 1 blocks are deflated in parallel and written in order, so the output is the same bytes
/// whatever the thread count. <see cref="Dispose(bool)"/> finishes the file like <see cref="GZipStream"/> does.
/// </summary>
public sealed class BgzfWriter : Stream
{
    /// <summary>bgzip's 0xff00: small enough that even incompressible data fits a 64 KiB member when stored.</summary>
    public const int MaxBlockData = 0xff00;

    /// <summary>The largest member BSIZE (a uint16 of size − 1) can describe.</summary>
    public const int MaxBlockSize = 65536;

    private const int HeaderSize = 18, FooterSize = 8;

    /// <summary>The empty block every BGZF file ends with (spec §4.1.2), byte for byte.</summary>
    public static ReadOnlySpan<byte> EofBlock =>
    [
        0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
        0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    private readonly Stream output;
    private readonly bool leaveOpen;
    private readonly int threads, level, blockData;
    private readonly Queue<Task<Member>> inflight = new();
    private byte[] block;
    private int fill;
    private long uncompressedWritten;   // uncompressed offset of the next member to go out
    private long pendingData;           // uncompressed bytes handed to deflate tasks but not yet written out
    private long compressedWritten;
    private bool finished, faulted, disposed;

    /// <summary>Where each data block starts (compressed, uncompressed), in order: the entries of a .gzi.</summary>
    public List<GziEntry> BlockStarts { get; } = [];

    /// <summary>Compressed bytes written to the output so far (the file size once finished).</summary>
    public long CompressedLength => compressedWritten;

    /// <param name="threads">Blocks deflated at once; 1 = inline on the writer's thread, 0 = all cores.</param>
    /// <param name="level">zlib level 1-9 (6 is zlib's default and bgzip's); 0 stores the bytes uncompressed.</param>
    /// <param name="blockDataSize">Uncompressed bytes per block (tests use tiny blocks so small files span many).</param>
    public BgzfWriter(Stream output, int threads = 1, int level = 6, bool leaveOpen = false, int blockDataSize = MaxBlockData)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        if (level is < 0 or > 9) throw new ArgumentOutOfRangeException(nameof(level), level, "zlib levels are 0-9");
        if (blockDataSize is <= 0 or > MaxBlockData) throw new ArgumentOutOfRangeException(nameof(blockDataSize), blockDataSize, $"1-{MaxBlockData}");
        this.output = output;
        this.leaveOpen = leaveOpen;
        this.threads = threads == 0 ? Environment.ProcessorCount : threads;
        this.level = level;
        blockData = blockDataSize;
        block = ArrayPool<byte>.Shared.Rent(blockData);
    }

    /// <summary>One finished gzip member in a pooled buffer; <see cref="Data"/> is the uncompressed byte count.</summary>
    private readonly record struct Member(byte[] Bytes, int Size, int Data);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !finished;
    public override long Length => throw new NotSupportedException();

    /// <summary>Uncompressed bytes written so far.</summary>
    public override long Position
    {
        get => uncompressedWritten + pendingData + fill;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(finished, this);
        while (buffer.Length > 0)
        {
            int n = Math.Min(buffer.Length, blockData - fill);
            buffer[..n].CopyTo(block.AsSpan(fill));
            fill += n;
            buffer = buffer[n..];
            if (fill == blockData) SubmitBlock();
        }
    }

    /// <summary>Writes out the blocks already deflated. It does not cut a partial block: blocks stay full.</summary>
    public override void Flush()
    {
        Guard(() => { while (inflight.Count > 0 && inflight.Peek().IsCompleted) WriteNext(); });
        output.Flush();
    }

    /// <summary>Writes the last partial block and the EOF block, then flushes. Idempotent.</summary>
    public void Finish()
    {
        if (finished) return;
        Guard(() =>
        {
            if (fill > 0) SubmitBlock();
            while (inflight.Count > 0) WriteNext();
            output.Write(EofBlock);
            compressedWritten += EofBlock.Length;
            output.Flush();
        });
        finished = true;
    }

    /// <summary>Gives up on the file: disposing then finishes nothing (no last block, no EOF marker).</summary>
    public void Abandon() => faulted = true;

    private void SubmitBlock()
    {
        var data = block;
        int length = fill;
        fill = 0;
        if (threads == 1)
        {
            Guard(() => WriteMember(Deflate(data, length, level)));
            return;
        }
        block = ArrayPool<byte>.Shared.Rent(blockData);
        int lvl = level;
        pendingData += length;
        inflight.Enqueue(Task.Run(() =>
        {
            try { return Deflate(data, length, lvl); }
            finally { ArrayPool<byte>.Shared.Return(data); }
        }));
        // Bounded: at most two blocks per thread in flight, so memory does not grow with the input.
        Guard(() =>
        {
            while (inflight.Count >= threads * 2 || (inflight.Count > 0 && inflight.Peek().IsCompleted)) WriteNext();
        });
    }

    private void WriteNext()
    {
        var member = inflight.Dequeue().GetAwaiter().GetResult();
        pendingData -= member.Data;
        WriteMember(member);
    }

    private void WriteMember(Member m)
    {
        try
        {
            BlockStarts.Add(new GziEntry(compressedWritten, uncompressedWritten));
            output.Write(m.Bytes, 0, m.Size);
            compressedWritten += m.Size;
            uncompressedWritten += m.Data;
        }
        finally { ArrayPool<byte>.Shared.Return(m.Bytes); }
    }

    /// <summary>Marks the writer faulted when a step fails, so that disposing it does not try to finish the file.</summary>
    private void Guard(Action step)
    {
        try { step(); }
        catch
        {
            faulted = true;
            throw;
        }
    }

    /// <summary>One complete BGZF member for <paramref name="length"/> bytes of <paramref name="data"/>.</summary>
    private static Member Deflate(byte[] data, int length, int level)
    {
        var member = ArrayPool<byte>.Shared.Rent(MaxBlockSize);
        int body = level == 0 ? Stored(data.AsSpan(0, length), member.AsSpan(HeaderSize)) : Compress(data, length, level, member);
        int size = HeaderSize + body + FooterSize;
        var header = member.AsSpan(0, HeaderSize);
        // ID1 ID2 CM=deflate FLG=FEXTRA, MTIME 0, XFL 0, OS 255 (unknown), XLEN 6, then the BC subfield (SLEN 2).
        ReadOnlySpan<byte> fixedPart = [0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 0x06, 0x00, (byte)'B', (byte)'C', 0x02, 0x00];
        fixedPart.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[16..], (ushort)(size - 1));
        var footer = member.AsSpan(HeaderSize + body, FooterSize);
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32.HashToUInt32(data.AsSpan(0, length)));
        BinaryPrimitives.WriteUInt32LittleEndian(footer[4..], (uint)length);
        return new Member(member, size, length);
    }

    /// <summary>Raw deflate of the block into <paramref name="member"/> after the header; the deflated size.</summary>
    private static int Compress(byte[] data, int length, int level, byte[] member)
    {
        var sink = new MemoryStream(member, HeaderSize, MaxBlockSize - HeaderSize - FooterSize, writable: true);
        try
        {
            using (var deflate = new DeflateStream(sink, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
                deflate.Write(data, 0, length);
            return (int)sink.Position;
        }
        catch (NotSupportedException)
        {
            // The deflated block outgrew one member (the fixed MemoryStream cannot grow): store it instead, as one
            // stored deflate block (5 bytes of header), which always fits because blocks hold at most 0xff00 bytes.
            return Stored(data.AsSpan(0, length), member.AsSpan(HeaderSize));
        }
    }

    /// <summary>A final stored deflate block (RFC 1951 §3.2.4): BFINAL=1 BTYPE=00, LEN, NLEN, the bytes.</summary>
    private static int Stored(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        destination[0] = 0x01;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], (ushort)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[3..], (ushort)~data.Length);
        data.CopyTo(destination[5..]);
        return 5 + data.Length;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !disposed)
        {
            disposed = true;
            try
            {
                if (!faulted) Finish();
            }
            finally
            {
                // A faulted writer still waits for its deflate tasks, so none runs after the output is closed.
                foreach (var t in inflight)
                {
                    try { ArrayPool<byte>.Shared.Return(t.GetAwaiter().GetResult().Bytes); }
                    catch (Exception e) when (e is not OutOfMemoryException) { }
                }
                inflight.Clear();
                finished = true;
                ArrayPool<byte>.Shared.Return(block);
                if (!leaveOpen) output.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
