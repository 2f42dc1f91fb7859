using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Data.Windows;

/// <summary>
/// A stretch of genome ready for tokenizing: where it is (0-based, half-open, forward-strand coordinates), which
/// strand it reads, and its bases in original case, so each base's soft-mask flag (lowercase) travels with it.
/// </summary>
public sealed record GenomeWindow(string Species, string Contig, long Start, long End, char Strand, byte[] Bases)
{
    public int Length => Bases.Length;

    public double SoftMaskFraction => Bases.Length == 0 ? 0 : (double)Count(Bases, NucleotideAlphabet.IsSoftMasked) / Bases.Length;

    public double NFraction => Bases.Length == 0 ? 0 : (double)Count(Bases, NucleotideAlphabet.IsN) / Bases.Length;

    /// <summary>The same interval read on the other strand (coordinates unchanged, bases reverse-complemented).</summary>
    public GenomeWindow ReverseComplement()
    {
        var b = (byte[])Bases.Clone();
        NucleotideAlphabet.ReverseComplementInPlace(b);
        return this with { Strand = Strand == '-' ? '+' : '-', Bases = b };
    }

    public string Sequence => System.Text.Encoding.ASCII.GetString(Bases);

    private static int Count(byte[] bases, Func<byte, bool> predicate)
    {
        int n = 0;
        foreach (var b in bases) if (predicate(b)) n++;
        return n;
    }
}
