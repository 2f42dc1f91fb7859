using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Datasets;

/// <summary>A BED interval: 0-based, half-open [Start, End).</summary>
public readonly record struct BedInterval(string Chrom, long Start, long End)
{
    public long Length => End - Start;
}

/// <summary>
/// Reads the first three BED columns (plain or gzip). track/browser/# lines are skipped; anything else malformed
/// (too few columns, non-numeric or negative coordinates, end before start) names the file and line.
/// </summary>
public static class BedReader
{
    /// <param name="dropped">When given, an interval whose end is before its start is left out and described here
    /// (real peak files carry such rows) instead of being an error; other malformed lines are still errors.</param>
    public static IReadOnlyList<BedInterval> Read(string path, IList<string>? dropped = null)
    {
        if (!File.Exists(path)) throw new DnaInputException("BED file not found", path);
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress) : stream);
        var result = new List<BedInterval>();
        long lineNo = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("track", StringComparison.Ordinal) || line.StartsWith("browser", StringComparison.Ordinal)) continue;
            var f = line.Split('\t');
            if (f.Length < 3) throw new DnaInputException($"expected at least 3 tab-separated columns (chrom start end), found {f.Length}", path, lineNo);
            if (!long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
                throw new DnaInputException($"start '{f[1]}' is not a non-negative integer", path, lineNo);
            if (!long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var end))
                throw new DnaInputException($"end '{f[2]}' is not a non-negative integer", path, lineNo);
            if (end < start)
            {
                var e = new DnaInputException($"end {end} is before start {start}", path, lineNo);
                if (dropped is null) throw e;
                dropped.Add(e.Message);
                continue;
            }
            result.Add(new BedInterval(f[0], start, end));
        }
        return result;
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
