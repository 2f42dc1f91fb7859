using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Intervals;

/// <summary>A BED interval: 0-based, half-open [Start, End).</summary>
public readonly record struct BedInterval(string Chrom, long Start, long End)
{
    /// <summary>Bases covered.</summary>
    public long Length => End - Start;
}

/// <summary>One data line of a BED file: its interval, the name column when there is one, and its 1-based line number.</summary>
public sealed record BedRecord(BedInterval Interval, string? Name, long Line);

/// <summary>
/// Reads BED files (plain or gzip): the first three columns, and the fourth as a name. track/browser/# lines are
/// skipped; anything else malformed (too few columns, non-numeric or negative coordinates, end before start) is a
/// <see cref="DnaInputException"/> naming the file and line. The one BED parser of the code base: training labels,
/// chromatin bins, token-task regions and prediction regions all read through it.
/// </summary>
public static class BedReader
{
    /// <param name="dropped">When given, an interval whose end is before its start is left out and described here
    /// (real peak files carry such rows) instead of being an error; other malformed lines are still errors.</param>
    public static IReadOnlyList<BedInterval> Read(string path, IList<string>? dropped = null) =>
        Records(path, dropped).Select(r => r.Interval).ToList();

    /// <summary>The records one at a time, in file order, so a large BED is never held in memory.</summary>
    /// <param name="dropped">As in <see cref="Read"/>.</param>
    public static IEnumerable<BedRecord> Records(string path, IList<string>? dropped = null)
    {
        if (!File.Exists(path)) throw new DnaInputException("BED file not found", path);
        return ReadLines(path, dropped);
    }

    private static IEnumerable<BedRecord> ReadLines(string path, IList<string>? dropped)
    {
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress) : stream);
        long lineNo = 0;
        for (var raw = reader.ReadLine(); raw is not null; raw = reader.ReadLine())
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("track", StringComparison.Ordinal) || line.StartsWith("browser", StringComparison.Ordinal)) continue;
            var record = Parse(line, path, lineNo, dropped);
            if (record is not null) yield return record;
        }
    }

    private static BedRecord? Parse(string line, string path, long lineNo, IList<string>? dropped)
    {
        var f = line.Split('\t');
        if (f.Length < 3)
        {
            var hint = f.Length == 1 && line.Contains(' ') ? " (columns must be separated by tabs)" : "";
            throw new DnaInputException($"expected at least 3 tab-separated columns (chrom start end), found {f.Length}{hint}", path, lineNo);
        }
        if (f[0].Length == 0) throw new DnaInputException("empty chrom", path, lineNo);
        if (!long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            throw new DnaInputException($"start '{f[1]}' is not a non-negative integer", path, lineNo);
        if (!long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var end))
            throw new DnaInputException($"end '{f[2]}' is not a non-negative integer", path, lineNo);
        if (end < start)
        {
            var e = new DnaInputException($"end {end} is before start {start}", path, lineNo);
            if (dropped is null) throw e;
            dropped.Add(e.Message);
            return null;
        }
        return new BedRecord(new BedInterval(f[0], start, end), f.Length > 3 && f[3].Length > 0 ? f[3] : null, lineNo);
    }

    /// <summary>Sorted, overlap-merged intervals of one chromosome (so coverage is never counted twice).</summary>
    public static IReadOnlyList<BedInterval> Merged(IEnumerable<BedInterval> intervals, string chrom)
    {
        var merged = new List<BedInterval>();
        foreach (var iv in intervals.Where(i => i.Chrom == chrom && i.End > i.Start).OrderBy(i => i.Start))
        {
            if (merged.Count > 0 && iv.Start <= merged[^1].End)
                merged[^1] = merged[^1] with { End = Math.Max(merged[^1].End, iv.End) };
            else
                merged.Add(iv);
        }
        return merged;
    }
}
