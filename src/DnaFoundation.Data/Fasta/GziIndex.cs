using System.Buffers.Binary;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>One BGZF block start: where it is in the file and which uncompressed offset it begins.</summary>
public readonly record struct GziEntry(long CompressedOffset, long UncompressedOffset);

/// <summary>
/// The .gzi index bgzip and samtools write beside a BGZF file: little-endian uint64 count, then (compressed,
/// uncompressed) uint64 pairs for every block start except the first, which is implicitly (0, 0).
/// </summary>
public sealed class GziIndex
{
    private readonly GziEntry[] entries;   // includes the implicit (0, 0)

    public GziIndex(IEnumerable<GziEntry> blockStarts)
    {
        var list = blockStarts.Where(e => e.CompressedOffset != 0).ToList();
        list.Insert(0, new GziEntry(0, 0));
        entries = [.. list];
    }

    public IReadOnlyList<GziEntry> Entries => entries;

    /// <summary>The last block starting at or before <paramref name="uncompressedOffset"/>.</summary>
    public GziEntry BlockContaining(long uncompressedOffset)
    {
        int lo = 0, hi = entries.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (entries[mid].UncompressedOffset <= uncompressedOffset) lo = mid;
            else hi = mid - 1;
        }
        return entries[lo];
    }

    public static GziIndex Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DnaInputException($"cannot read .gzi index: {e.Message}", path, inner: e);
        }
        if (bytes.Length < 8) throw new DnaInputException("truncated .gzi index (no entry count)", path, byteOffset: 0);
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (count > (ulong)(bytes.Length - 8) / 16 || (ulong)bytes.Length != 8 + count * 16)
            throw new DnaInputException($".gzi index says {count} entries but has {(bytes.Length - 8) / 16.0} (expected {8 + count * 16} bytes)", path, byteOffset: 0);
        var list = new List<GziEntry>((int)count);
        for (int i = 0; i < (int)count; i++)
        {
            var s = bytes.AsSpan(8 + i * 16);
            var entry = new GziEntry((long)BinaryPrimitives.ReadUInt64LittleEndian(s), (long)BinaryPrimitives.ReadUInt64LittleEndian(s[8..]));
            // Block starts grow in both files (bgzip writes them in order); anything else would seek to nonsense.
            var previous = list.Count == 0 ? new GziEntry(0, 0) : list[^1];
            if (i == 0 && entry == previous) continue;            // an explicit (0, 0) first entry: implicit anyway
            if (entry.CompressedOffset <= previous.CompressedOffset || entry.UncompressedOffset < previous.UncompressedOffset)
                throw new DnaInputException($".gzi entry {i} ({entry.CompressedOffset}, {entry.UncompressedOffset}) does not follow ({previous.CompressedOffset}, {previous.UncompressedOffset}): block starts must increase", path, byteOffset: 8 + i * 16);
            list.Add(entry);
        }
        return new GziIndex(list);
    }

    /// <summary>Writes the file byte for byte as <c>bgzip -r</c> / <c>samtools faidx</c> do (atomically).</summary>
    public void Write(string path)
    {
        var bytes = new byte[8 + (entries.Length - 1) * 16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(entries.Length - 1));
        for (int i = 1; i < entries.Length; i++)
        {
            var s = bytes.AsSpan(8 + (i - 1) * 16);
            BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)entries[i].CompressedOffset);
            BinaryPrimitives.WriteUInt64LittleEndian(s[8..], (ulong)entries[i].UncompressedOffset);
        }
        AtomicFile.WriteAllBytes(path, bytes);
    }
}
