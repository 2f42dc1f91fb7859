using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Data.Reference;
using DnaFoundation.Data.Intervals;

namespace DnaFoundation.Evaluation.Chromatin;

/// <summary>Labels every bin of one contig from feature peaks, drops blacklisted and gap bins, and assigns contiguous splits.</summary>
public static class ChromatinBinner
{
    /// <param name="features">Per feature, its intervals on <paramref name="contig"/> (unsorted, overlaps allowed).</param>
    /// <param name="blacklist">Regions whose overlapping bins are dropped (ENCODE blacklist).</param>
    /// <param name="dev">Contiguous dev region [start, end) on the contig.</param>
    /// <param name="test">Contiguous test region [start, end) on the contig; the rest is train.</param>
    public static IReadOnlyList<ChromatinBin> Bin(
        IReferenceGenome genome, string contig, IReadOnlyList<IReadOnlyList<BedInterval>> features,
        IReadOnlyList<BedInterval> blacklist, (long Start, long End) dev, (long Start, long End) test, ChromatinBinning b)
    {
        long length = genome.Length(contig);
        var merged = features.Select(f => BedReader.Merged(f.Select(i => i with { Chrom = contig }), contig)).ToArray();
        var black = BedReader.Merged(blacklist.Select(i => i with { Chrom = contig }), contig);
        int half = (b.ContextSize - b.BinSize) / 2;
        long minCover = (long)Math.Ceiling(b.MinCoverFraction * b.BinSize);
        var cursors = new int[merged.Length];
        int blackCursor = 0;
        var bins = new List<ChromatinBin>();
        for (long start = 0; start + b.BinSize <= length; start += b.BinSize)
        {
            long end = start + b.BinSize;
            if (Overlaps(black, ref blackCursor, start, end)) continue;
            long ctxStart = start - half, ctxEnd = ctxStart + b.ContextSize;
            var split = SplitOf(ctxStart, ctxEnd, dev, test);
            if (split is null) continue;
            var labels = new byte[merged.Length];
            bool any = false;
            for (int f = 0; f < merged.Length; f++)
            {
                if (Coverage(merged[f], ref cursors[f], start, end) >= minCover) { labels[f] = 1; any = true; }
            }
            if (b.RequireAnyPositive && !any) continue;
            var bases = genome.Fetch(contig, start, end);
            if (bases.Count(c => c == 'N') > b.MaxBinNFraction * b.BinSize) continue;
            bins.Add(new ChromatinBin(start, split.Value, labels));
        }
        return bins;
    }

    /// <summary>The split that holds the whole context, or null when the context crosses a split boundary.</summary>
    private static ChromatinSplit? SplitOf(long ctxStart, long ctxEnd, (long Start, long End) dev, (long Start, long End) test)
    {
        if (ctxStart >= test.Start && ctxEnd <= test.End) return ChromatinSplit.Test;
        if (ctxStart >= dev.Start && ctxEnd <= dev.End) return ChromatinSplit.Dev;
        bool touches = (ctxStart < test.End && ctxEnd > test.Start) || (ctxStart < dev.End && ctxEnd > dev.Start);
        return touches ? null : ChromatinSplit.Train;
    }

    /// <summary>Bases of [start, end) covered by sorted merged intervals; the cursor only moves forward as bins do.</summary>
    internal static long Coverage(IReadOnlyList<BedInterval> sorted, ref int cursor, long start, long end)
    {
        while (cursor < sorted.Count && sorted[cursor].End <= start) cursor++;
        long covered = 0;
        for (int i = cursor; i < sorted.Count && sorted[i].Start < end; i++)
            covered += Math.Min(end, sorted[i].End) - Math.Max(start, sorted[i].Start);
        return covered;
    }

    private static bool Overlaps(IReadOnlyList<BedInterval> sorted, ref int cursor, long start, long end) =>
        Coverage(sorted, ref cursor, start, end) > 0;

    /// <summary>The model input for a bin: its context, N-padded past the contig ends.</summary>
    public static string Context(IReferenceGenome genome, string contig, long binStart, ChromatinBinning b) =>
        genome.FetchPadded(contig, binStart - (b.ContextSize - b.BinSize) / 2, binStart - (b.ContextSize - b.BinSize) / 2 + b.ContextSize);
}
