using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Intervals;
using DnaFoundation.Data.Reference;
using DnaFoundation.Evaluation.Datasets;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>
/// One input to predict on: its id, its bases, and, for regions and tiles, where it lies in the genome
/// (<see cref="Chrom"/>, 0-based half-open [<see cref="Start"/>, <see cref="End"/>)). Sequences from a table or
/// FASTA have no locus (<see cref="Chrom"/> null).
/// </summary>
public sealed record PredictionInput(string Id, string Sequence, string? Chrom = null, long Start = 0, long End = 0)
{
    /// <summary>True when the input has genome coordinates.</summary>
    public bool HasLocus => Chrom is not null;
}

/// <summary>The three kinds of input <c>dnafm predict</c> reads, each streamed one input at a time.</summary>
public static class PredictionInputs
{
    /// <summary>Sequences from CSV/TSV, FASTA or FASTA.gz (<see cref="SequenceInputs"/>).</summary>
    public static IEnumerable<PredictionInput> Sequences(string path) =>
        SequenceInputs.Read(path).Select(s => new PredictionInput(s.Id, s.Sequence));

    /// <summary>
    /// The regions of a BED file cut from <paramref name="genome"/> (the BED may say <c>chr20</c> where the FASTA says
    /// <c>20</c>); the id is the BED name, else <c>chrom:start+1-end</c>. A contig the genome lacks, a region past the
    /// contig's end or an empty region is an error naming the BED file and line.
    /// </summary>
    public static IEnumerable<PredictionInput> Regions(string bed, IReferenceGenome genome)
    {
        var aliases = new ContigAliases(genome.Contigs);
        foreach (var r in BedReader.Records(bed))
        {
            var (chrom, start, end) = r.Interval;
            var contig = aliases.Resolve(chrom) ?? throw new DnaInputException($"contig '{chrom}' is not in the genome ({string.Join(", ", genome.Contigs.Take(5))}{(genome.Contigs.Count > 5 ? ", …" : "")})", bed, r.Line);
            long length = genome.Length(contig);
            if (end > length) throw new DnaInputException($"region {chrom}:{start}-{end} runs past the end of contig '{contig}' ({length:N0} bp)", bed, r.Line);
            if (end == start) throw new DnaInputException($"region {chrom}:{start}-{end} is empty", bed, r.Line);
            yield return new PredictionInput(r.Name ?? Locus(chrom, start, end), genome.Fetch(contig, start, end), chrom, start, end);
        }
    }

    /// <summary>"chrom:start+1-end", the 1-based inclusive spelling genome browsers and samtools take.</summary>
    public static string Locus(string chrom, long start, long end) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{chrom}:{start + 1}-{end}");
}
