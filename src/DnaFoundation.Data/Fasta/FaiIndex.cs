using System.Globalization;
using System.Text;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>One line of a .fai: NAME LENGTH OFFSET LINEBASES LINEWIDTH (OFFSET is uncompressed for BGZF).</summary>
public sealed record FaiEntry(string Name, long Length, long Offset, int LineBases, int LineWidth)
{
    /// <summary>Uncompressed byte offset of the 0-based base <paramref name="pos"/>.</summary>
    public long OffsetOf(long pos) => Offset + pos / LineBases * LineWidth + pos % LineBases;
}

/// <summary>The samtools .fai index: read, written byte-compatibly, and built by streaming the FASTA once.</summary>
public sealed class FaiIndex
{
    private readonly Dictionary<string, FaiEntry> byName;

    public IReadOnlyList<FaiEntry> Entries { get; }

    public FaiIndex(IReadOnlyList<FaiEntry> entries)
    {
        Entries = entries;
        byName = new Dictionary<string, FaiEntry>(StringComparer.Ordinal);
        foreach (var e in entries) byName.TryAdd(e.Name, e);
    }

    public bool TryGet(string name, out FaiEntry entry) => byName.TryGetValue(name, out entry!);

    public FaiEntry this[string name] => byName.TryGetValue(name, out var e) ? e
        : throw new DnaInputException($"no sequence named '{name}' (known: {Known()})");

    private string Known() => string.Join(", ", Entries.Take(10).Select(e => e.Name)) + (Entries.Count > 10 ? ", …" : "");

    /// <summary>The .fai text exactly as samtools writes it.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        foreach (var e in Entries)
            sb.Append(CultureInfo.InvariantCulture, $"{e.Name}\t{e.Length}\t{e.Offset}\t{e.LineBases}\t{e.LineWidth}\n");
        return sb.ToString();
    }

    public void Write(string path) => AtomicFile.WriteAllText(path, ToText());

    public static FaiIndex Read(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DnaInputException($"cannot read .fai index: {e.Message}", path, inner: e);
        }
        var entries = new List<FaiEntry>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split('\t');
            if (f.Length != 5)
                throw new DnaInputException($"a .fai line needs 5 tab-separated fields (NAME LENGTH OFFSET LINEBASES LINEWIDTH), found {f.Length}", path, i + 1);
            if (!long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                || !int.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var lineBases)
                || !int.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out var lineWidth)
                || lineBases <= 0 || lineWidth < lineBases)
                throw new DnaInputException("malformed .fai line (numbers expected, LINEWIDTH ≥ LINEBASES > 0)", path, i + 1);
            entries.Add(new FaiEntry(f[0], length, offset, lineBases, lineWidth));
        }
        return new FaiIndex(entries);
    }

    /// <summary>
    /// Streams the FASTA once and returns its index (and the BGZF block starts for a .gzi). Fails as samtools does
    /// when the line layout cannot be indexed, and on plain gzip, which has no random access.
    /// </summary>
    public static (FaiIndex Fai, GziIndex? Gzi) Build(string fastaPath, int threads = 0)
    {
        using var reader = new FastaReader(fastaPath, threads);
        if (reader.Compression == FastaCompression.Gzip)
            throw new DnaInputException("cannot index a file compressed with plain gzip; recompress it with `dnafm data bgzip`", fastaPath);
        var fai = Build(reader);
        GziIndex? gzi = reader.BlockStarts is { } blocks ? new GziIndex(blocks) : null;
        return (fai, gzi);
    }

    /// <summary>
    /// Reads <paramref name="reader"/> to its end and returns the index of what it read (offsets are offsets in the
    /// reader's uncompressed bytes). <c>dnafm data bgzip</c> indexes the stream it compresses this way, in one pass.
    /// </summary>
    public static FaiIndex Build(FastaReader reader)
    {
        var entries = new List<FaiEntry>();
        var info = reader.NextRecord(out _);
        while (info is not null)
        {
            var next = reader.NextRecord(out var layout);
            if (layout!.Problem is not null)
                throw new DnaInputException($"cannot index: {layout.Problem}; rewrap it with fixed-width lines (e.g. seqkit seq -w 60)", reader.Path, layout.ProblemLine);
            entries.Add(new FaiEntry(info.Name, layout.Length, layout.SequenceOffset, layout.LineBases, layout.LineWidth));
            info = next;
        }
        if (entries.Count == 0) throw new DnaInputException("no FASTA records", reader.Path, 1);
        return new FaiIndex(entries);
    }
}
