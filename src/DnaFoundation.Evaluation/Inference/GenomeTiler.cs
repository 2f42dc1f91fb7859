using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Reference;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>
/// How regions are tiled into windows: <see cref="WindowBp"/> wide, every <see cref="StrideBp"/> bases (0 = the
/// window, i.e. non-overlapping).
/// </summary>
public sealed record TilingOptions
{
    /// <summary>Window width in bases (key <c>window_bp</c>).</summary>
    [Range(1, 1 << 24)] public int WindowBp { get; init; } = 1000;

    /// <summary>Bases between window starts; 0 = <see cref="WindowBp"/> (key <c>stride_bp</c>).</summary>
    [Range(0, 1 << 24)] public int StrideBp { get; init; }

    /// <summary>The stride in effect.</summary>
    public int EffectiveStride => StrideBp > 0 ? StrideBp : WindowBp;
}

/// <summary>
/// Tiles regions of a genome into windows, streaming (about one chunk of bases in memory, whatever the genome).
/// The rule at region and contig ends: windows start at the region's start and every stride after it while they fit;
/// when the last one stops short of the region's end, one more window is placed flush with the end (shifted left), so
/// every base is covered and no window runs off the contig or is padded; a region shorter than a window is one
/// shorter window. Windows of N only (assembly gaps) are skipped and counted in <see cref="SkippedAllN"/>.
/// </summary>
public sealed class GenomeTiler(IReferenceGenome genome, IReadOnlyList<GenomicRegion> regions, TilingOptions options)
{
    /// <summary>Bases fetched per read (windows are cut from this buffer).</summary>
    private const int ChunkBp = 1 << 20;

    /// <summary>Windows of N only that were left out.</summary>
    public long SkippedAllN { get; private set; }

    /// <summary>Windows produced so far, skipped ones included (progress against <see cref="TotalWindows"/>).</summary>
    public long Consumed { get; private set; }

    /// <summary>How many windows the regions tile into (skipped ones included).</summary>
    public long TotalWindows => regions.Sum(r => Starts(r.Start, r.End).LongCount());

    /// <summary>Every contig of the genome, whole.</summary>
    public static IReadOnlyList<GenomicRegion> WholeGenome(FastaGenome genome) =>
        genome.Index.Entries.Select(e => new GenomicRegion(e.Name, e.Name, 0, e.Length)).ToList();

    /// <summary>Regions in samtools syntax (<c>chr:start-end</c>, 1-based inclusive); errors name the genome file.</summary>
    public static IReadOnlyList<GenomicRegion> Parse(IEnumerable<string> texts, FastaGenome genome) => texts.Select(t =>
    {
        try
        {
            var r = GenomicRegion.Parse(t, genome.Index);
            if (r.Length == 0) throw new DnaInputException($"region '{t}' is empty");
            return r;
        }
        catch (DnaInputException e) when (e.File is null)
        {
            throw new DnaInputException(e.Message, genome.Path);
        }
    }).ToList();

    /// <summary>The windows, region by region, left to right.</summary>
    public IEnumerable<PredictionInput> Windows()
    {
        foreach (var r in regions)
        {
            string buffer = "";
            long bufferStart = 0;
            foreach (var start in Starts(r.Start, r.End))
            {
                long end = Math.Min(start + options.WindowBp, r.End);
                if (end > bufferStart + buffer.Length || start < bufferStart)
                {
                    bufferStart = start;
                    buffer = genome.Fetch(r.Name, start, Math.Min(r.End, start + Math.Max(ChunkBp, options.WindowBp)));
                }
                Consumed++;
                var bases = buffer.Substring((int)(start - bufferStart), (int)(end - start));
                if (bases.AsSpan().IndexOfAnyExcept('N') < 0)
                {
                    SkippedAllN++;
                    continue;
                }
                yield return new PredictionInput(PredictionInputs.Locus(r.Name, start, end), bases, r.Name, start, end);
            }
        }
    }

    /// <summary>Window starts in [start, end) by the rule above.</summary>
    internal IEnumerable<long> Starts(long start, long end)
    {
        int w = options.WindowBp, stride = options.EffectiveStride;
        if (end - start <= w)
        {
            yield return start;
            yield break;
        }
        long s = start, last = start;
        for (; s + w <= end; s += stride) yield return last = s;
        if (last + w < end) yield return end - w;
    }
}
