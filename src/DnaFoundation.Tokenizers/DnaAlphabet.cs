using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>What a tokenizer does with <c>N</c> and the other IUPAC ambiguity codes (R Y K M S W B D H V).</summary>
public enum AmbiguousBasePolicy
{
    /// <summary>Read every ambiguity code as <c>N</c>; each tokenizer then treats <c>N</c> its own way (DNABERT/BPE: [UNK], NT and char: the N token).</summary>
    MapToN,

    /// <summary>Any ambiguity code, <c>N</c> included, is a <see cref="DnaInputException"/> naming the sequence and position.</summary>
    Reject,
}

/// <summary>
/// The one place where characters become base codes. Codes: 0 = A, 1 = C, 2 = G, 3 = T, 4 = N (and every IUPAC ambiguity
/// code under <see cref="AmbiguousBasePolicy.MapToN"/>). Lowercase (soft-masked) bases get the same code plus a flag;
/// anything that is not a base letter (digits, '>', spaces, '-', non-ASCII) is an error.
/// </summary>
public static class DnaAlphabet
{
    public const byte A = 0, C = 1, G = 2, T = 3, N = 4;

    /// <summary>Code letters in code order (A C G T N).</summary>
    public const string Letters = "ACGTN";

    // Table entries: low 3 bits = code; 0x08 = lowercase; 0x10 = ambiguity code (N or IUPAC); 0xFF = not a base.
    private const byte Soft = 0x08, Ambiguous = 0x10, Invalid = 0xFF;
    private static readonly byte[] Table = BuildTable();

    private static byte[] BuildTable()
    {
        var t = new byte[128];
        Array.Fill(t, Invalid);
        void Set(char upper, byte value)
        {
            t[upper] = value;
            t[char.ToLowerInvariant(upper)] = (byte)(value | Soft);
        }
        Set('A', A); Set('C', C); Set('G', G); Set('T', T);
        foreach (var c in "NRYKMSWBDHV") Set(c, N | Ambiguous);
        return t;
    }

    /// <summary>
    /// Converts <paramref name="dna"/> to base codes. Returns whether any base was lowercase; only then is
    /// <paramref name="soft"/> written (1 for each lowercase base, 0 for the others; pass an empty span to skip).
    /// Error positions are 1-based and count from <paramref name="positionOffset"/> (where this piece starts in its sequence).
    /// </summary>
    /// <exception cref="DnaInputException">A character that is not a base letter, or an ambiguity code under <see cref="AmbiguousBasePolicy.Reject"/>.</exception>
    public static bool Normalize(ReadOnlySpan<char> dna, Span<byte> codes, Span<byte> soft, AmbiguousBasePolicy policy,
        string? sequenceName = null, string? source = null, long positionOffset = 0) =>
        NormalizeCore(MemoryMarshal.Cast<char, ushort>(dna), codes, soft, policy, sequenceName, source, positionOffset);

    /// <summary>As <see cref="Normalize(ReadOnlySpan{char}, Span{byte}, Span{byte}, AmbiguousBasePolicy, string?, string?, long)"/>, for ASCII bytes (e.g. straight from a FASTA reader).</summary>
    public static bool Normalize(ReadOnlySpan<byte> dna, Span<byte> codes, Span<byte> soft, AmbiguousBasePolicy policy,
        string? sequenceName = null, string? source = null, long positionOffset = 0) =>
        NormalizeCore(dna, codes, soft, policy, sequenceName, source, positionOffset);

    internal static bool NormalizeCore<T>(ReadOnlySpan<T> dna, Span<byte> codes, Span<byte> soft, AmbiguousBasePolicy policy,
        string? sequenceName, string? source, long positionOffset) where T : unmanaged, IBinaryInteger<T>
    {
        if (codes.Length < dna.Length) throw new ArgumentException("codes buffer is shorter than the input", nameof(codes));
        if (AllUppercaseAcgt(dna))
        {
            AcgtToCodes(dna, codes);
            return false;
        }
        var table = Table;
        int orAll = 0;
        for (int i = 0; i < dna.Length; i++)
        {
            int c = int.CreateTruncating(dna[i]);
            int v = c < 128 ? table[c] : Invalid;
            orAll |= v;
            codes[i] = (byte)(v & 7);
        }
        if (orAll == (orAll & 7)) return false; // fast path: only uppercase ACGT
        bool anySoft = false;
        for (int i = 0; i < dna.Length; i++)
        {
            int c = int.CreateTruncating(dna[i]);
            int v = c < 128 ? table[c] : Invalid;
            if (v == Invalid) throw InvalidCharacter(c, i, sequenceName, source, positionOffset);
            if ((v & Ambiguous) != 0 && policy == AmbiguousBasePolicy.Reject)
                throw new DnaInputException($"{Where(sequenceName, positionOffset + i)}: ambiguous base '{(char)c}' is rejected by this tokenizer (policy reject; use map-to-n to read it as N)", source);
            anySoft |= (v & Soft) != 0;
        }
        if (!anySoft) return false;
        if (soft.Length == 0) return true;
        if (soft.Length < dna.Length) throw new ArgumentException("soft buffer is shorter than the input", nameof(soft));
        for (int i = 0; i < dna.Length; i++)
            soft[i] = (byte)((Table[int.CreateTruncating(dna[i])] & Soft) >> 3);
        return true;
    }

    private static readonly SearchValues<char> AcgtChars = SearchValues.Create("ACGT");
    private static readonly SearchValues<byte> AcgtBytes = SearchValues.Create("ACGT"u8);

    // The common case (uppercase ACGT only) is checked with a vectorized scan before any per-base work.
    private static bool AllUppercaseAcgt<T>(ReadOnlySpan<T> dna) where T : unmanaged, IBinaryInteger<T>
    {
        if (typeof(T) == typeof(ushort)) return MemoryMarshal.Cast<T, char>(dna).IndexOfAnyExcept(AcgtChars) < 0;
        if (typeof(T) == typeof(byte)) return MemoryMarshal.Cast<T, byte>(dna).IndexOfAnyExcept(AcgtBytes) < 0;
        return false;
    }

    // (c >> 1) & 3 maps A C G T to 0 1 3 2; x ^ (x >> 1) puts them in code order 0 1 2 3. Sixteen bases per step.
    private static void AcgtToCodes<T>(ReadOnlySpan<T> dna, Span<byte> codes) where T : unmanaged, IBinaryInteger<T>
    {
        int i = 0, n = dna.Length;
        var three = Vector128.Create((byte)3);
        if (typeof(T) == typeof(ushort) && Vector128.IsHardwareAccelerated)
        {
            var chars = MemoryMarshal.Cast<T, ushort>(dna);
            for (; i + 16 <= n; i += 16)
            {
                var lo = Vector128.Create<ushort>(chars.Slice(i, 8));
                var hi = Vector128.Create<ushort>(chars.Slice(i + 8, 8));
                var x = Vector128.ShiftRightLogical(Vector128.Narrow(lo, hi), 1) & three;
                (x ^ Vector128.ShiftRightLogical(x, 1)).CopyTo(codes.Slice(i, 16));
            }
        }
        else if (typeof(T) == typeof(byte) && Vector128.IsHardwareAccelerated)
        {
            var bytes = MemoryMarshal.Cast<T, byte>(dna);
            for (; i + 16 <= n; i += 16)
            {
                var x = Vector128.ShiftRightLogical(Vector128.Create<byte>(bytes.Slice(i, 16)), 1) & three;
                (x ^ Vector128.ShiftRightLogical(x, 1)).CopyTo(codes.Slice(i, 16));
            }
        }
        for (; i < n; i++)
        {
            int x = (int.CreateTruncating(dna[i]) >> 1) & 3;
            codes[i] = (byte)(x ^ (x >> 1));
        }
    }

    /// <summary>True for A C G T N and the IUPAC ambiguity codes, either case.</summary>
    public static bool IsBaseLetter(char c) => c < 128 && Table[c] != Invalid;

    private static DnaInputException InvalidCharacter(int c, int i, string? sequenceName, string? source, long positionOffset = 0)
    {
        string shown = c is >= ' ' and <= '~' ? $"'{(char)c}'" : $"U+{c:X4}";
        return new DnaInputException($"{Where(sequenceName, positionOffset + i)}: {shown} is not a DNA base (allowed: ACGTN, IUPAC RYKMSWBDHV, lowercase for soft-masked)", source);
    }

    private static string Where(string? sequenceName, long index) =>
        sequenceName is null ? $"position {index + 1}" : $"sequence '{sequenceName}' position {index + 1}";

    // ---- reverse complement -------------------------------------------------------------------------------------

    // The one IUPAC complement table of the code base (FASTA windows, tokenizers and variant scoring all use it):
    // R↔Y, K↔M, B↔V, D↔H; S, W, N are their own; U (RNA) pairs with A. Case is kept, so soft-masking survives.
    private const string ComplementFrom = "ACGTURYSWKMBDHVN", ComplementTo = "TGCAAYRSWMKVHDBN";
    private static readonly byte[] ComplementTable = BuildComplement();

    private static byte[] BuildComplement()
    {
        var t = new byte[256];
        for (int i = 0; i < ComplementFrom.Length; i++)
        {
            t[ComplementFrom[i]] = (byte)ComplementTo[i];
            t[char.ToLowerInvariant(ComplementFrom[i])] = (byte)char.ToLowerInvariant(ComplementTo[i]);
        }
        return t;
    }

    /// <summary>The IUPAC complement of an ASCII base, either case (kept); 0 for a byte that is not an IUPAC base.</summary>
    public static byte Complement(byte b) => ComplementTable[b];

    /// <summary>
    /// Reverse complement with IUPAC complements (R↔Y, K↔M, B↔V, D↔H; S, W, N are their own), keeping case so
    /// soft-masking survives. Involution: applying it twice gives the input back.
    /// </summary>
    public static void ReverseComplement(ReadOnlySpan<char> dna, Span<char> destination, string? sequenceName = null)
    {
        if (destination.Length < dna.Length) throw new ArgumentException("destination is shorter than the input", nameof(destination));
        var t = ComplementTable;
        int n = dna.Length;
        for (int i = 0; i < n; i++)
        {
            char c = dna[i];
            char r = c < 128 ? (char)t[c] : '\0';
            // U has a complement in the table (FASTA windows of RNA-bearing files), but it is not DNA input here.
            if (r == '\0' || (c | 0x20) == 'u') throw InvalidCharacter(c, i, sequenceName, null);
            destination[n - 1 - i] = r;
        }
    }

    public static string ReverseComplement(string dna, string? sequenceName = null) =>
        string.Create(dna.Length, (dna, sequenceName), static (dst, s) => ReverseComplement(s.dna, dst, s.sequenceName));
}
