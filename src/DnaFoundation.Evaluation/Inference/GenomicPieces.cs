using DnaFoundation.Core;
using DnaFoundation.Evaluation.FineTuning;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>A value over bases [Start, End) of a contig, for one class or label.</summary>
public readonly record struct GenomicPiece(long Start, long End, float Value);

/// <summary>
/// Turns predictions into per-class pieces of genome: a sequence head's window gives its probability over the whole
/// window; a token head gives each run of bases with equal probability. Inputs without coordinates are placed on a
/// "contig" named by their id, starting at 0 (token heads only: a FASTA of contigs gives tracks in contig coordinates).
/// </summary>
internal static class GenomicPieces
{
    public static void Check(ModelTask task, PredictionInput input, string output)
    {
        if (!input.HasLocus && task.Task != FineTuneTask.Token)
            throw new DnaInputException("a genome track or BED output needs inputs with genome coordinates (BED regions or genome tiles); sequence inputs have none", output);
    }

    public static (string Chrom, long Offset) Place(PredictionInput input) => input.HasLocus ? (input.Chrom!, input.Start) : (input.Id, 0);

    /// <summary>The pieces of class <paramref name="k"/>.</summary>
    public static IEnumerable<GenomicPiece> Of(Prediction p, int k)
    {
        var (_, offset) = Place(p.Input);
        if (p.Bases is null)
        {
            yield return new GenomicPiece(p.Input.Start, p.Input.End, p.Probabilities[k]);
            yield break;
        }
        var b = p.Bases;
        int c = b.Classes, i = 0;
        while (i < b.Length)
        {
            if (!b.Covered[i]) { i++; continue; }
            float v = b.Values[i * c + k];
            int start = i;
            while (i < b.Length && b.Covered[i] && b.Values[i * c + k] == v) i++;
            yield return new GenomicPiece(offset + start, offset + i, v);
        }
    }
}
