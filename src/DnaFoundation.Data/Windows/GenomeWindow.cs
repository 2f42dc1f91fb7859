using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Data.Windows;

/// <summary>
/// A stretch of genome ready for tokenizing: where it is (0-based, half-open, forward-strand coordinates), which
/// strand it reads, and its bases in original case, so each base's soft-mask flag (lowercase) travels with it.
/// </summary>
public sealed record GenomeWindow(string Species, string Contig, long Start, long End, char Strand, byte[] Bases)
{
    public int Length => Bases.Length;

    // Lowercase letters are the bytes from 'a' up; vectorised counts, as this runs once per window.
    public double SoftMaskFraction => Bases.Length == 0 ? 0 : (double)CountLowercase(Bases) / Bases.Length;

    public double NFraction => Bases.Length == 0 ? 0 : (double)(Bases.AsSpan().Count((byte)'N') + Bases.AsSpan().Count((byte)'n')) / Bases.Length;

    /// <summary>The same interval read on the other strand (coordinates unchanged, bases reverse-complemented).</summary>
    public GenomeWindow ReverseComplement()
    {
        var b = (byte[])Bases.Clone();
        NucleotideAlphabet.ReverseComplementInPlace(b);
        return this with { Strand = Strand == '-' ? '+' : '-', Bases = b };
    }

    public string Sequence => System.Text.Encoding.ASCII.GetString(Bases);

    // Soft-masked bases come in runs (repeats): jump from run to run.
    private static int CountLowercase(ReadOnlySpan<byte> bases)
    {
        int n = 0;
        while (true)
        {
            int i = bases.IndexOfAnyInRange((byte)'a', (byte)255);
            if (i < 0) return n;
            bases = bases[i..];
            int j = bases.IndexOfAnyExceptInRange((byte)'a', (byte)255);
            if (j < 0) return n + bases.Length;
            n += j;
            bases = bases[j..];
        }
    }
}
