using DnaFoundation.Data.Intervals;

namespace DnaFoundation.Training.Data;

/// <summary>
/// Intervals of one BED file (0-based, half-open), merged per contig, for labelling windows. Contig names match with
/// or without a <c>chr</c> prefix, since hg19 BEDs say <c>chr20</c> where GRCh37 FASTAs say <c>20</c>. Parsed by
/// Data's <see cref="BedReader"/> (plain or gzip; errors name the file and line).
/// </summary>
public sealed class BedLabels
{
    private readonly Dictionary<string, (long[] Starts, long[] Ends)> byContig;

    private BedLabels(string name, Dictionary<string, (long[], long[])> byContig)
    {
        Name = name;
        this.byContig = byContig;
    }

    /// <summary>The feature name: the file name without extension.</summary>
    public string Name { get; }

    /// <param name="minWidth">Intervals narrower than this are widened symmetrically around their centre (a 1-bp TSS becomes a promoter window).</param>
    public static BedLabels Read(string path, int minWidth = 0)
    {
        var raw = new Dictionary<string, List<(long, long)>>();
        foreach (var record in BedReader.Records(path))
        {
            var (chrom, s, e) = record.Interval;
            if (e - s < minWidth)
            {
                long centre = (s + e) / 2;
                s = Math.Max(0, centre - minWidth / 2);
                e = s + minWidth;
            }
            var key = Canonical(chrom);
            if (!raw.TryGetValue(key, out var list)) raw[key] = list = [];
            list.Add((s, e));
        }
        var merged = new Dictionary<string, (long[], long[])>();
        foreach (var (contig, list) in raw)
        {
            list.Sort();
            var starts = new List<long>();
            var ends = new List<long>();
            foreach (var (s, e) in list)
            {
                if (starts.Count > 0 && s <= ends[^1]) ends[^1] = Math.Max(ends[^1], e);
                else { starts.Add(s); ends.Add(e); }
            }
            merged[contig] = (starts.ToArray(), ends.ToArray());
        }
        return new BedLabels(Path.GetFileNameWithoutExtension(path), merged);
    }

    private static string Canonical(string contig) =>
        contig.StartsWith("chr", StringComparison.OrdinalIgnoreCase) ? contig[3..] : contig;

    /// <summary>Bases of [start, end) that the intervals cover.</summary>
    public long Coverage(string contig, long start, long end)
    {
        if (!byContig.TryGetValue(Canonical(contig), out var iv)) return 0;
        int i = FirstEndingAfter(iv.Ends, start);
        long covered = 0;
        for (; i < iv.Starts.Length && iv.Starts[i] < end; i++)
            covered += Math.Min(end, iv.Ends[i]) - Math.Max(start, iv.Starts[i]);
        return covered;
    }

    /// <summary>Sets <paramref name="mark"/>[p − start] for every covered base p of [start, start + mark.Length).</summary>
    public void Paint(string contig, long start, Span<bool> mark)
    {
        if (!byContig.TryGetValue(Canonical(contig), out var iv)) return;
        long end = start + mark.Length;
        for (int i = FirstEndingAfter(iv.Ends, start); i < iv.Starts.Length && iv.Starts[i] < end; i++)
            mark[(int)(Math.Max(start, iv.Starts[i]) - start)..(int)(Math.Min(end, iv.Ends[i]) - start)].Fill(true);
    }

    private static int FirstEndingAfter(long[] ends, long pos)
    {
        int lo = 0, hi = ends.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ends[mid] <= pos) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
