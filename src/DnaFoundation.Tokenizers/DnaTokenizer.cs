using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// A tokenizer for raw DNA. It is a <see cref="Tokenizer"/> (so <c>EncodeToIds</c>, <c>EncodeToTokens</c> with
/// offsets and <c>Decode</c> work as .NET users expect, special tokens included by default), and adds the DNA
/// fast path <see cref="Encode"/>: no per-token strings, base offsets, soft-mask flags, attention mask,
/// truncation and padding.
/// <para>Pipeline: characters → base codes (<see cref="DnaAlphabet.Normalize"/>: case folded, soft-mask noted,
/// ambiguity codes handled by <see cref="AmbiguousBases"/>, anything else rejected) → the family's
/// <see cref="EncodeCore"/> → special tokens, truncation, padding (here, once for all families).</para>
/// </summary>
public abstract class DnaTokenizer : Tokenizer
{
    protected DnaTokenizer(TokenVocabulary vocabulary, SpecialTokens special, AmbiguousBasePolicy ambiguousBases)
    {
        Vocabulary = vocabulary;
        Special = special;
        AmbiguousBases = ambiguousBases;
    }

    public TokenVocabulary Vocabulary { get; }

    public SpecialTokens Special { get; }

    public AmbiguousBasePolicy AmbiguousBases { get; }

    public int VocabSize => Vocabulary.Count;

    public int MaskId => Special.Mask;

    public int PadId => Special.Pad;

    public int UnkId => Special.Unk;

    public bool IsSpecial(int id) => Vocabulary.IsSpecial(id);

    /// <summary>
    /// How many consecutive tokens share a base: k for overlapping k-mers (DNABERT masks spans of k tokens so a
    /// masked base cannot be read off its neighbours), 1 for tokenizers whose tokens do not overlap.
    /// </summary>
    public virtual int MaskSpan => 1;

    /// <summary>A short name that <see cref="DnaTokenizers.Load"/> understands for built-ins ("kmer:6", "nt6", "char") or the family ("bpe").</summary>
    public abstract string Spec { get; }

    /// <summary>Writes the tokenizer in its family's Hugging Face form (vocab.txt or tokenizer.json).</summary>
    public abstract void Save(string path);

    /// <summary>
    /// The family's tokenization of base codes (0..4 = A C G T N), without special tokens. Writes at most
    /// <paramref name="maxTokens"/> tokens (ids, start and end in <paramref name="codes"/>) and returns how many.
    /// The buffers hold at least <c>codes.Length</c> entries: no family makes more tokens than bases.
    /// </summary>
    protected abstract int EncodeCore(ReadOnlySpan<byte> codes, int maxTokens, Span<int> ids, Span<int> starts, Span<int> ends);

    /// <summary>Encodes raw DNA (either case, IUPAC codes per <see cref="AmbiguousBases"/>).</summary>
    /// <exception cref="Core.DnaInputException">A character that is not a base, or a rejected ambiguity code.</exception>
    public DnaEncoding Encode(ReadOnlySpan<char> dna, EncodeOptions? options = null) =>
        EncodeAny(MemoryMarshal.Cast<char, ushort>(dna), options);

    /// <summary>As <see cref="Encode(ReadOnlySpan{char}, EncodeOptions?)"/>, for ASCII bytes (e.g. straight from a FASTA reader).</summary>
    public DnaEncoding Encode(ReadOnlySpan<byte> asciiDna, EncodeOptions? options = null) => EncodeAny(asciiDna, options);

    private DnaEncoding EncodeAny<T>(ReadOnlySpan<T> dna, EncodeOptions? options) where T : unmanaged, IBinaryInteger<T>
    {
        options ??= EncodeOptions.Default;
        int n = dna.Length;
        int[] prefix = options.AddSpecialTokens ? Special.Prefix : [];
        int[] suffix = options.AddSpecialTokens ? Special.Suffix : [];
        int maxContent = int.MaxValue;
        if (options.MaxLength is int max)
        {
            maxContent = max - prefix.Length - suffix.Length;
            if (maxContent < 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxLength {max} leaves no room for the {prefix.Length + suffix.Length} special tokens");
        }

        var pool = ArrayPool<byte>.Shared;
        var ints = ArrayPool<int>.Shared;
        byte[] codes = pool.Rent(Math.Max(n, 1)), soft = pool.Rent(Math.Max(n, 1));
        int[] ids = ints.Rent(Math.Max(n, 1)), starts = ints.Rent(Math.Max(n, 1)), ends = ints.Rent(Math.Max(n, 1));
        try
        {
            bool anySoft = DnaAlphabet.NormalizeCore(dna, codes, soft, AmbiguousBases, options.SequenceName, options.Source, 0);
            if (options.ReverseComplement) ReverseComplementCodes(codes.AsSpan(0, n));
            int count = EncodeCore(codes.AsSpan(0, n), maxContent, ids, starts, ends);
            if (count > maxContent) count = maxContent;
            int consumed = count == 0 ? (maxContent == 0 ? 0 : n) : (count < maxContent ? n : MaxEnd(ends.AsSpan(0, count)));
            if (options.ReverseComplement)
                for (int i = 0; i < count; i++)
                    (starts[i], ends[i]) = (n - ends[i], n - starts[i]);

            int real = prefix.Length + count + suffix.Length;
            int total = options.PadToMaxLength && options.MaxLength is int m ? Math.Max(m, real) : real;
            var outIds = new int[total];
            var offsets = new BaseSpan[total];
            var softOut = new bool[total];
            var attention = new byte[total];
            attention.AsSpan(0, real).Fill(1);
            prefix.CopyTo(outIds, 0);
            ids.AsSpan(0, count).CopyTo(outIds.AsSpan(prefix.Length));
            suffix.CopyTo(outIds, prefix.Length + count);
            outIds.AsSpan(real).Fill(Special.Pad);
            for (int i = 0; i < count; i++)
                offsets[prefix.Length + i] = new BaseSpan(starts[i], ends[i]);
            if (anySoft) MarkSoft(soft.AsSpan(0, n), offsets.AsSpan(prefix.Length, count), softOut.AsSpan(prefix.Length, count));
            return new DnaEncoding(outIds, offsets, softOut, attention, real, consumed);
        }
        finally
        {
            pool.Return(codes);
            pool.Return(soft);
            ints.Return(ids);
            ints.Return(starts);
            ints.Return(ends);
        }
    }

    public DnaEncoding Encode(string dna, EncodeOptions? options = null) => Encode(dna.AsSpan(), options);

    /// <summary>Encodes many sequences (in parallel when <paramref name="maxParallelism"/> &gt; 1), results in input order.</summary>
    public DnaEncoding[] EncodeBatch(IReadOnlyList<string> sequences, EncodeOptions? options = null, int maxParallelism = 1)
    {
        var result = new DnaEncoding[sequences.Count];
        if (maxParallelism <= 1)
            for (int i = 0; i < result.Length; i++) result[i] = Encode(sequences[i], options);
        else
            Parallel.For(0, result.Length, new ParallelOptions { MaxDegreeOfParallelism = maxParallelism }, i => result[i] = Encode(sequences[i], options));
        return result;
    }

    private static int MaxEnd(ReadOnlySpan<int> ends)
    {
        int m = 0;
        foreach (var e in ends) m = Math.Max(m, e);
        return m;
    }

    private static void ReverseComplementCodes(Span<byte> codes)
    {
        codes.Reverse();
        for (int i = 0; i < codes.Length; i++)
            if (codes[i] < DnaAlphabet.N) codes[i] = (byte)(3 - codes[i]); // A↔T, C↔G; N stays N
    }

    // A token is soft-masked when any base under it is lowercase; prefix sums keep this O(tokens).
    private static void MarkSoft(ReadOnlySpan<byte> soft, ReadOnlySpan<BaseSpan> offsets, Span<bool> flags)
    {
        var sums = ArrayPool<int>.Shared.Rent(soft.Length + 1);
        try
        {
            sums[0] = 0;
            for (int i = 0; i < soft.Length; i++) sums[i + 1] = sums[i] + soft[i];
            for (int t = 0; t < offsets.Length; t++)
                flags[t] = sums[offsets[t].End] - sums[offsets[t].Start] > 0;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(sums);
        }
    }

    // ---- Microsoft.ML.Tokenizers surface ------------------------------------------------------------------------

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var e = Encode(text is null ? textSpan : text.AsSpan(), ForSettings(settings));
        var tokens = new List<EncodedToken>(e.Length);
        for (int i = 0; i < e.Length; i++)
            tokens.Add(new EncodedToken(e.Ids[i], Vocabulary[e.Ids[i]], new Range(e.Offsets[i].Start, e.Offsets[i].End)));
        return new EncodeResults<EncodedToken> { Tokens = tokens, CharsConsumed = e.BasesConsumed };
    }

    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var e = Encode(text is null ? textSpan : text.AsSpan(), ForSettings(settings));
        return new EncodeResults<int> { Tokens = e.Ids, CharsConsumed = e.BasesConsumed };
    }

    // MaxTokenCount counts special tokens too; when it leaves no room for them they are left out.
    private EncodeOptions ForSettings(EncodeSettings settings)
    {
        int max = settings.MaxTokenCount;
        if (max <= 0 || max == int.MaxValue) return EncodeOptions.Default;
        bool room = max > Special.Prefix.Length + Special.Suffix.Length;
        return new EncodeOptions { MaxLength = max, AddSpecialTokens = room };
    }

    /// <summary>Back to DNA: special tokens are dropped, [UNK] reads as N (one per base it stood for where known).</summary>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var content = new List<int>();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)VocabSize) throw new InvalidOperationException($"id {id} is outside the vocabulary (size {VocabSize})");
            if (id == Special.Unk || !IsSpecial(id)) content.Add(id);
        }
        var sb = new StringBuilder();
        DecodeCore(content, sb);
        return sb.ToString();
    }

    public override System.Buffers.OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        var list = ids as IReadOnlyList<int> ?? ids.ToList();
        var text = Decode(list);
        if (text.Length > destination.Length)
        {
            idsConsumed = 0;
            charsWritten = 0;
            return System.Buffers.OperationStatus.DestinationTooSmall;
        }
        text.AsSpan().CopyTo(destination);
        idsConsumed = list.Count;
        charsWritten = text.Length;
        return System.Buffers.OperationStatus.Done;
    }

    /// <summary>Appends the bases of non-special ids ([UNK] included). Default: concatenate tokens, [UNK] as one N.</summary>
    protected virtual void DecodeCore(IReadOnlyList<int> ids, StringBuilder sb)
    {
        foreach (var id in ids)
            sb.Append(id == Special.Unk ? "N" : Vocabulary[id]);
    }
}
