using System.Buffers;

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

    private static readonly byte[] ComplementTable = BuildComplement();

    public static bool IsValid(byte b) => Valid.Contains(b);

    public static bool IsSoftMasked(byte b) => b >= (byte)'a';

    /// <summary>N (either case): an unknown base; GPN-style splitting treats these as gaps.</summary>
    public static bool IsN(byte b) => (b | 0x20) == 'n';

    public static bool IsGc(byte b) => (b | 0x20) is (byte)'g' or (byte)'c' or (byte)'s';

    public static byte Complement(byte b) => ComplementTable[b];

    /// <summary>Reverse complement in place; case (the soft-mask flag) travels with each base.</summary>
    public static void ReverseComplementInPlace(Span<byte> bases)
    {
        bases.Reverse();
        for (int i = 0; i < bases.Length; i++) bases[i] = ComplementTable[bases[i]];
    }

    private static byte[] BuildComplement()
    {
        var t = new byte[256];
        for (int i = 0; i < 256; i++) t[i] = (byte)i;
        const string from = "ACGTURYSWKMBDHVN", to = "TGCAAYRSWMKVHDBN";
        for (int i = 0; i < from.Length; i++)
        {
            t[from[i]] = (byte)to[i];
            t[char.ToLowerInvariant(from[i])] = (byte)char.ToLowerInvariant(to[i]);
        }
        return t;
    }
}
