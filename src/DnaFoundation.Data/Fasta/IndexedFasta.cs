using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>
/// Random access to a plain or BGZF FASTA through its .fai (and .gzi), the way <c>samtools faidx</c> reads regions.
/// Missing indexes are built by one streaming pass and written beside the file (atomically), as samtools does.
/// Not thread-safe: open one per reader thread.
/// </summary>
public sealed class IndexedFasta : IDisposable
{
    private readonly FileStream file;
    private readonly BgzfReader? bgzf;
    private readonly GziIndex? gzi;
    private byte[] raw = new byte[1 << 16];

    public string Path { get; }
    public FaiIndex Index { get; }
    public FastaCompression Compression { get; }

    private IndexedFasta(string path, FaiIndex index, FastaCompression compression, GziIndex? gzi)
    {
        Path = path;
        Index = index;
        Compression = compression;
        this.gzi = gzi;
        file = SequenceInput.OpenFile(path, 1 << 16);
        if (compression == FastaCompression.Bgzf) bgzf = new BgzfReader(file, path, threads: 1);
    }

    /// <summary>Opens <paramref name="path"/>, reading FILE.fai / FILE.gzi or building and writing them when absent.</summary>
    public static IndexedFasta Open(string path, bool writeMissingIndex = true)
    {
        var compression = SequenceInput.Detect(path);
        if (compression == FastaCompression.Gzip)
            throw new DnaInputException("random access needs an uncompressed or bgzip-compressed FASTA, not plain gzip; recompress it once with `dnafm data bgzip FILE` (`dnafm data fetch` does this for downloads)", path);
        string faiPath = path + ".fai", gziPath = path + ".gzi";
        bool needGzi = compression == FastaCompression.Bgzf;
        FaiIndex fai;
        GziIndex? gzi = null;
        if (File.Exists(faiPath) && (!needGzi || File.Exists(gziPath)))
        {
            fai = FaiIndex.Read(faiPath);
            if (needGzi) gzi = GziIndex.Read(gziPath);
        }
        else
        {
            (fai, gzi) = FaiIndex.Build(path);
            if (writeMissingIndex)
            {
                try
                {
                    if (gzi is not null) gzi.Write(gziPath);
                    fai.Write(faiPath);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A read-only folder: the index built in memory serves this run all the same.
                }
            }
        }
        return new IndexedFasta(path, fai, compression, gzi);
    }

    /// <summary>Bases [start, end) (0-based) of <paramref name="name"/>, original case; clamped to the sequence.</summary>
    public byte[] Fetch(string name, long start, long end)
    {
        var e = Index[name];
        start = Math.Clamp(start, 0, e.Length);
        end = Math.Clamp(end, start, e.Length);
        var result = new byte[end - start];
        Fetch(e, start, result);
        return result;
    }

    /// <summary>Fills <paramref name="destination"/> with the bases from <paramref name="start"/> on.</summary>
    public void Fetch(FaiEntry e, long start, Span<byte> destination)
    {
        if (destination.Length == 0) return;
        long end = start + destination.Length;
        if (start < 0 || end > e.Length) throw new ArgumentOutOfRangeException(nameof(start), $"{e.Name}:{start}-{end} is outside 0-{e.Length}");
        long from = e.OffsetOf(start), to = e.OffsetOf(end - 1) + 1;
        int n = checked((int)(to - from));
        if (raw.Length < n) raw = new byte[n];
        var bytes = raw.AsSpan(0, n);
        int got;
        if (bgzf is not null)
        {
            bgzf.SeekUncompressed(from, gzi!);
            got = bgzf.ReadAtLeast(bytes, n, throwOnEndOfStream: false);
        }
        else
        {
            got = RandomAccess.Read(file.SafeFileHandle, bytes, from);
            while (got < n)
            {
                int more = RandomAccess.Read(file.SafeFileHandle, bytes[got..], from + got);
                if (more == 0) break;
                got += more;
            }
        }
        if (got < n) throw new DnaInputException($"file is shorter than its .fai says (sequence '{e.Name}'); delete the stale index", Path, byteOffset: from + got);
        int w = 0;
        foreach (var b in bytes)
        {
            if (b == '\n' || b == '\r') continue;
            if (!NucleotideAlphabet.IsValid(b) || w == destination.Length)
                throw new DnaInputException($"bytes at this offset do not match the .fai layout of '{e.Name}' (stale or wrong index?)", Path, byteOffset: from);
            destination[w++] = b;
        }
        if (w != destination.Length)
            throw new DnaInputException($"bytes at this offset do not match the .fai layout of '{e.Name}' (stale or wrong index?)", Path, byteOffset: from);
    }

    public void Dispose()
    {
        if (bgzf is not null) bgzf.Dispose();
        else file.Dispose();
    }
}
