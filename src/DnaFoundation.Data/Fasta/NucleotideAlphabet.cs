using System.Buffers;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Fasta;

/// <summary>
/// The IUPAC nucleotide alphabet (A C G T U R Y S W K M B D H V N, either case). Lowercase marks soft-masked
/// (repeat) bases, as UCSC and Ensembl write them; we keep the case and report it as a flag rather than losing it.
/// </summary>
public static class NucleotideAlphabet
{
    public const string IupacUpper = "ACGTURYSWKMBDHVN";

    /// <summary>Every byte a sequence line may hold (IUPAC, both cases).</summary>
    public static readonly SearchValues<byte> Valid = SearchValues.Create(
        System.Text.Encoding.ASCII.GetBytes(IupacUpper + IupacUpper.ToLowerInvariant()));

    public static bool IsValid(byte b) => Valid.Contains(b);

    public static bool IsSoftMasked(byte b) => b >= (byte)'a';

    /// <summary>N (either case): an unknown base; GPN-style splitting treats these as gaps.</summary>
    public static bool IsN(byte b) => (b | 0x20) == 'n';

    public static bool IsGc(byte b) => (b | 0x20) is (byte)'g' or (byte)'c' or (byte)'s';

    /// <summary>The IUPAC complement (<see cref="DnaAlphabet.Complement"/>, the one table); other bytes unchanged.</summary>
    public static byte Complement(byte b) => DnaAlphabet.Complement(b) is var c && c != 0 ? c : b;

    /// <summary>Reverse complement in place; case (the soft-mask flag) travels with each base.</summary>
    public static void ReverseComplementInPlace(Span<byte> bases)
    {
        bases.Reverse();
        for (int i = 0; i < bases.Length; i++) bases[i] = Complement(bases[i]);
    }
}
