using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Training.Data;

/// <summary>
/// The bases of some genome regions, loaded once into memory (chr20: 63 MB), with prefix counts of N so a window's
/// N fraction is O(1). Windows and tiles index the regions as if concatenated; no window crosses a region edge.
/// </summary>
public sealed class GenomeRegions
{
    public sealed record Region(string Contig, long Start, byte[] Bases, int[] NPrefix);

    private readonly List<Region> regions;

    private GenomeRegions(string source, List<Region> regions)
    {
        Source = source;
        this.regions = regions;
    }

    public string Source { get; }

    public IReadOnlyList<Region> Regions => regions;

    public long TotalBases => regions.Sum(r => (long)r.Bases.Length);

    /// <summary>Loads <paramref name="regionTexts"/> (samtools syntax); when empty, every contig except <paramref name="excludeContigsOf"/>'s.</summary>
    public static GenomeRegions Load(IndexedFasta fasta, IReadOnlyList<string> regionTexts, IReadOnlyList<string>? excludeContigsOf = null)
    {
        var parsed = new List<GenomicRegion>();
        if (regionTexts.Count > 0)
            parsed.AddRange(regionTexts.Select(t => GenomicRegion.Parse(t, fasta.Index)));
        else
        {
            var excluded = (excludeContigsOf ?? []).Select(t => GenomicRegion.Parse(t, fasta.Index).Name).ToHashSet(StringComparer.Ordinal);
            parsed.AddRange(fasta.Index.Entries.Where(e => !excluded.Contains(e.Name)).Select(e => new GenomicRegion(e.Name, e.Name, 0, e.Length)));
        }
        var list = new List<Region>();
        foreach (var r in parsed)
        {
            if (r.Length > int.MaxValue) throw new DnaInputException($"region {r.Text} is longer than 2 Gbp; split it", fasta.Path);
            var bases = fasta.Fetch(r.Name, r.Start, r.End);
            var prefix = new int[bases.Length + 1];
            for (int i = 0; i < bases.Length; i++) prefix[i + 1] = prefix[i] + (bases[i] is (byte)'N' or (byte)'n' ? 1 : 0);
            list.Add(new Region(r.Name, r.Start, bases, prefix));
        }
        if (list.Count == 0) throw new DnaInputException("no regions to read", fasta.Path);
        return new GenomeRegions(fasta.Path, list);
    }

    public long TotalWindows(int w) => regions.Sum(r => Math.Max(0L, r.Bases.Length - w + 1));

    public long TotalTiles(int w) => regions.Sum(r => (long)(r.Bases.Length / w));

    /// <summary>The <paramref name="index"/>-th of all windows (every start position of every region).</summary>
    public (Region Region, long Start) Window(long index, int w)
    {
        foreach (var r in regions)
        {
            long n = Math.Max(0L, r.Bases.Length - w + 1);
            if (index < n) return (r, index);
            index -= n;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>The <paramref name="index"/>-th non-overlapping tile.</summary>
    public (Region Region, long Start) Tile(long index, int w)
    {
        foreach (var r in regions)
        {
            long n = r.Bases.Length / w;
            if (index < n) return (r, index * w);
            index -= n;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    public double NFraction(Region r, long start, int w) => (r.NPrefix[start + w] - r.NPrefix[start]) / (double)w;

    public void Copy(Region r, long start, Span<char> destination)
    {
        var src = r.Bases.AsSpan((int)start, destination.Length);
        for (int i = 0; i < src.Length; i++) destination[i] = (char)src[i];
    }
}
