using System.Buffers.Binary;
using System.IO.Compression;
using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Fasta;

/// <summary>
/// The BGZF writer against the format (SAM/BAM spec §4.1, RFC 1952) read by hand here, against .NET's GZipStream
/// (which inflates concatenated gzip members and checks each CRC-32 and ISIZE with zlib), and against htslib.
/// </summary>
public class BgzfWriterTests
{
    /// <summary>The EOF marker as the SAM spec §4.1.2 prints it.</summary>
    private static readonly byte[] SpecEof = Convert.FromHexString("1f8b08040000000000ff0600424302001b0003000000000000000000");

    private sealed record Member(long Offset, int Size, int ISize, uint Crc, byte[] Deflated);

    /// <summary>Walks a BGZF file member by member with the spec's field layout, asserting every fixed field.</summary>
    private static List<Member> Members(byte[] file)
    {
        var members = new List<Member>();
        int at = 0;
        while (at < file.Length)
        {
            var m = file.AsSpan(at);
            Assert.True(m.Length >= 28, $"member at {at} is cut short");
            Assert.Equal([0x1f, 0x8b, 8, 4], m[..4].ToArray());       // ID1 ID2, CM = deflate, FLG = FEXTRA only
            Assert.Equal(6, BinaryPrimitives.ReadUInt16LittleEndian(m[10..]));   // XLEN: one 6-byte subfield
            Assert.Equal((byte)'B', m[12]);
            Assert.Equal((byte)'C', m[13]);
            Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(m[14..]));   // SLEN
            int size = BinaryPrimitives.ReadUInt16LittleEndian(m[16..]) + 1;    // BSIZE = total block size - 1
            Assert.InRange(size, 28, 65536);
            var body = m[18..(size - 8)].ToArray();
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(m[(size - 8)..]);
            int isize = BinaryPrimitives.ReadInt32LittleEndian(m[(size - 4)..]);
            Assert.InRange(isize, 0, 65536);
            members.Add(new Member(at, size, isize, crc, body));
            at += size;
        }
        Assert.Equal(file.Length, at);
        return members;
    }

    private static byte[] Write(byte[] data, int threads, int level = 6, int blockData = BgzfWriter.MaxBlockData, int chunk = 10_007)
    {
        using var ms = new MemoryStream();
        using (var w = new BgzfWriter(ms, threads, level, leaveOpen: true, blockData))
        {
            // Odd-sized writes so that blocks are filled across calls.
            for (int i = 0; i < data.Length; i += chunk) w.Write(data, i, Math.Min(chunk, data.Length - i));
        }
        return ms.ToArray();
    }

    private static byte[] Gunzip(byte[] file)
    {
        using var gz = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
        using var o = new MemoryStream();
        gz.CopyTo(o);
        return o.ToArray();
    }

    /// <summary>DNA-like text (compressible, FASTA lines) or random bytes (incompressible).</summary>
    internal static byte[] Data(int length, bool random, int seed = 5)
    {
        var rng = new Random(seed);
        var data = new byte[length];
        if (random) { rng.NextBytes(data); return data; }
        for (int i = 0; i < length; i++) data[i] = i % 61 == 60 ? (byte)'\n' : (byte)"ACGTacgtN"[rng.Next(9)];
        return data;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65279)]
    [InlineData(65280)]
    [InlineData(65281)]
    [InlineData(65280 * 3)]
    [InlineData(300_001)]
    public void Round_trip_through_GZipStream_with_full_blocks_and_the_EOF_block(int length)
    {
        foreach (bool random in new[] { false, true })
        {
            var data = Data(length, random);
            var file = Write(data, threads: 1);
            Assert.Equal(data, Gunzip(file));
            var members = Members(file);
            Assert.Equal(SpecEof, file[^28..]);
            Assert.Equal(0, members[^1].ISize);
            var blocks = members[..^1];
            Assert.Equal((length + 65279) / 65280, blocks.Count);
            Assert.All(blocks.SkipLast(1), b => Assert.Equal(65280, b.ISize));   // bgzip's block size
            Assert.Equal(length, blocks.Sum(b => (long)b.ISize));
            foreach (var b in blocks)
            {
                // Each member alone inflates to its ISIZE bytes with its CRC-32.
                using var inflate = new DeflateStream(new MemoryStream(b.Deflated), CompressionMode.Decompress);
                using var o = new MemoryStream();
                inflate.CopyTo(o);
                Assert.Equal(b.ISize, (int)o.Length);
                Assert.Equal(b.Crc, System.IO.Hashing.Crc32.HashToUInt32(o.ToArray()));
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    public void Incompressible_blocks_fit_a_member_at_every_level(int level)
    {
        var data = Data(65280 * 2 + 17, random: true);
        var file = Write(data, threads: 1, level);
        Assert.Equal(data, Gunzip(file));
        Assert.All(Members(file), m => Assert.InRange(m.Size, 28, 65536));
    }

    [Fact]
    public void Threads_write_the_same_bytes_in_the_same_order()
    {
        var data = Data(65280 * 9 + 1234, random: false);
        var one = Write(data, threads: 1);
        Assert.Equal(one, Write(data, threads: 3));
        Assert.Equal(one, Write(data, threads: 8, chunk: 1 << 20));
        Assert.Equal(data, Gunzip(one));
    }

    [Fact]
    public void Block_starts_are_the_member_offsets_and_positions_count_uncompressed_bytes()
    {
        var data = Data(5000, random: false);
        using var ms = new MemoryStream();
        var w = new BgzfWriter(ms, threads: 2, leaveOpen: true, blockDataSize: 64);
        w.Write(data);
        Assert.Equal(5000, w.Position);
        w.Finish();
        var members = Members(ms.ToArray());
        Assert.Equal(members.SkipLast(1).Select((m, i) => new GziEntry(m.Offset, i * 64L)), w.BlockStarts);
        Assert.Equal(ms.Length, w.CompressedLength);
        w.Dispose();
        Assert.Equal(data, Gunzip(ms.ToArray()));
    }

    [Fact]
    public void An_abandoned_writer_writes_no_EOF_block()
    {
        using var ms = new MemoryStream();
        using (var w = new BgzfWriter(ms, leaveOpen: true))
        {
            w.Write(Data(70_000, random: false));
            w.Abandon();
        }
        Assert.NotEqual(SpecEof, ms.ToArray()[^28..]);
    }

    [SkippableFact]
    public void Htslib_bgzip_accepts_our_file_and_decompresses_it_to_the_input()
    {
        var bgzip = ExternalTool.Require("bgzip", "tabix");
        using var dir = new TempDir("bgzf");
        var data = Data(65280 * 4 + 99, random: false);
        foreach (var (name, level) in new[] { ("l6.gz", 6), ("l0.gz", 0) })
        {
            var path = dir.File(name);
            File.WriteAllBytes(path, Write(data, threads: 2, level));
            ExternalTool.Check(bgzip, "-t", path);   // htslib: every block's header, CRC and the EOF marker
            Assert.Equal(data, ExternalTool.Check(bgzip, "-dc", path));
        }
    }
}
