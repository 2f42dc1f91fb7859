using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// A tokenizer for raw DNA. It is a <see cref="Tokenizer"/> (so <c>EncodeToIds</c>, <c>EncodeToTokens</c> with
/// offsets and <c>Decode</c> work as .NET users expect, special tokens included by default), and adds the DNA
/// fast path <see cref="Encode(ReadOnlySpan{char}, EncodeOptions?)"/>: no per-token strings, base offsets, soft-mask flags, attention mask,
/// truncation and padding.
/// <para>Pipeline: characters → base codes (<c>DnaAlphabet.Normalize</c>: case folded, soft-mask noted,
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

    /// <summary>Every token and its id, in the order of the published vocabulary file.</summary>
    public TokenVocabulary Vocabulary { get; }

    /// <summary>The ids of the special tokens: padding, mask, unknown, and the prefix/suffix each encoding is framed with.</summary>
    public SpecialTokens Special { get; }

    /// <summary>What an IUPAC ambiguity code (R, Y, …) becomes when encoding: N, a random base or an error.</summary>
    public AmbiguousBasePolicy AmbiguousBases { get; }

    /// <summary>Ids are 0 … VocabSize − 1: the model's embedding rows.</summary>
    public int VocabSize => Vocabulary.Count;

    /// <summary>The longest input (special tokens included) the tokenizer's files declare (<c>model_max_length</c>, <c>max_len</c>); null when they say nothing.</summary>
    public int? ModelMaxLength { get; internal set; }

    /// <summary>
    /// The highest id an encoding can hold: content tokens, the framing special tokens, padding, mask and unknown.
    /// Special tokens that are never emitted (NT-v1's &lt;eos&gt; and &lt;bos&gt;, beyond its 4,105 embedding rows) do not count.
    /// </summary>
    public int HighestEmittedId
    {
        get
        {
            int max = new[] { Special.Pad, Special.Mask, Special.Unk }.Concat(Special.Prefix).Concat(Special.Suffix).Max();
            for (int id = VocabSize - 1; id > max; id--)
                if (!IsSpecial(id)) return id;
            return max;
        }
    }

    /// <summary>The id masked positions get in MLM training and masked-marginal scoring.</summary>
    public int MaskId => Special.Mask;

    /// <summary>The id padding positions hold (the attention mask is 0 there).</summary>
    public int PadId => Special.Pad;

    /// <summary>The id of a token the vocabulary does not have (a k-mer with N under the NT and DNABERT vocabularies).</summary>
    public int UnkId => Special.Unk;

    /// <summary>True for padding, mask, unknown, framing and other special tokens: ids that stand for no bases of their own.</summary>
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
    /// <paramref name="maxTokens"/> tokens (ids, and [start, end) in <paramref name="codes"/>) and returns how many.
    /// The buffers hold at least min(<c>codes.Length</c>, <paramref name="maxTokens"/>) entries (no family makes more
    /// tokens than bases), or exactly <see cref="ExactTokenCount"/> when that is known; for such families, and
    /// those that say <see cref="OffsetsOptional"/>, <paramref name="offsets"/> may be empty, meaning the caller wants ids only.
    /// </summary>
    protected abstract int EncodeCore(ReadOnlySpan<byte> codes, int maxTokens, Span<int> ids, Span<BaseSpan> offsets);

    /// <summary>
    /// Tokens for <paramref name="bases"/> bases when that follows from the length alone (k-mers, single bases):
    /// then tokens are written straight into the result, with no scratch copy. Null when it depends on the sequence.
    /// </summary>
    protected virtual int? ExactTokenCount(int bases) => null;

    /// <summary>True when <see cref="EncodeCore"/> accepts an empty offsets span (ids only) although its token count depends on the sequence.</summary>
    protected virtual bool OffsetsOptional => false;

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
        var (prefix, suffix, maxContent) = Frame(options);

        var pool = ArrayPool<byte>.Shared;
        byte[] codes = pool.Rent(Math.Max(n, 1)), soft = pool.Rent(Math.Max(n, 1));
        int[]? scratchIds = null;
        BaseSpan[]? scratchOffsets = null;
        try
        {
            bool anySoft = DnaAlphabet.NormalizeCore(dna, codes, soft, AmbiguousBases, options.SequenceName, options.Source, 0);
            var codeSpan = codes.AsSpan(0, n);
            if (options.ReverseComplement) ReverseComplementCodes(codeSpan);

            int[] outIds;
            BaseSpan[] offsets;
            int count, total;
            if (ExactTokenCount(n) is int exact)
            {
                count = Math.Min(exact, maxContent);
                total = Total(prefix.Length + count + suffix.Length, options);
                outIds = new int[total];
                offsets = new BaseSpan[total];
                EncodeCore(codeSpan, count, outIds.AsSpan(prefix.Length, count), offsets.AsSpan(prefix.Length, count));
            }
            else
            {
                int room = Math.Max(Math.Min(n, maxContent), 1);
                scratchIds = ArrayPool<int>.Shared.Rent(room);
                scratchOffsets = ArrayPool<BaseSpan>.Shared.Rent(room);
                count = Math.Min(EncodeCore(codeSpan, maxContent, scratchIds, scratchOffsets), maxContent);
                total = Total(prefix.Length + count + suffix.Length, options);
                outIds = new int[total];
                offsets = new BaseSpan[total];
                scratchIds.AsSpan(0, count).CopyTo(outIds.AsSpan(prefix.Length));
                scratchOffsets.AsSpan(0, count).CopyTo(offsets.AsSpan(prefix.Length));
            }
            var content = offsets.AsSpan(prefix.Length, count);
            int consumed = count == 0 ? (maxContent == 0 ? 0 : n) : (count < maxContent ? n : MaxEnd(content));
            if (options.ReverseComplement)
                foreach (ref var o in content) o = new BaseSpan(n - o.End, n - o.Start);

            int real = prefix.Length + count + suffix.Length;
            prefix.CopyTo(outIds, 0);
            suffix.CopyTo(outIds, prefix.Length + count);
            if (total > real) outIds.AsSpan(real).Fill(Special.Pad);
            var softOut = new bool[total];
            var attention = new byte[total];
            attention.AsSpan(0, real).Fill(1);
            if (anySoft) MarkSoft(soft.AsSpan(0, n), content, softOut.AsSpan(prefix.Length, count));
            return new DnaEncoding(outIds, offsets, softOut, attention, real, consumed);
        }
        finally
        {
            pool.Return(codes);
            pool.Return(soft);
            if (scratchIds is not null) ArrayPool<int>.Shared.Return(scratchIds);
            if (scratchOffsets is not null) ArrayPool<BaseSpan>.Shared.Return(scratchOffsets);
        }
    }

    /// <summary>
    /// Ids only, written into <paramref name="destination"/> (special tokens and padding included); returns how many.
    /// Nothing is allocated per call: the path for bulk work such as sharding a genome. Size the buffer with
    /// <see cref="MaxTokenCount"/>.
    /// </summary>
    public int EncodeIds(ReadOnlySpan<char> dna, Span<int> destination, EncodeOptions? options = null) =>
        EncodeIdsAny(MemoryMarshal.Cast<char, ushort>(dna), destination, options);

    /// <summary>As <see cref="EncodeIds(ReadOnlySpan{char}, Span{int}, EncodeOptions?)"/>, for ASCII bytes.</summary>
    public int EncodeIds(ReadOnlySpan<byte> asciiDna, Span<int> destination, EncodeOptions? options = null) =>
        EncodeIdsAny(asciiDna, destination, options);

    /// <summary>An upper bound on the ids <see cref="EncodeIds(ReadOnlySpan{char}, Span{int}, EncodeOptions?)"/> writes for <paramref name="bases"/> bases.</summary>
    public int MaxTokenCount(int bases, EncodeOptions? options = null)
    {
        options ??= EncodeOptions.Default;
        var (prefix, suffix, maxContent) = Frame(options);
        return Total(prefix.Length + Math.Min(ExactTokenCount(bases) ?? bases, maxContent) + suffix.Length, options);
    }

    /// <summary>
    /// Ids and one soft-mask flag per id (1 when any base under the token is lowercase; 0 for special tokens and
    /// padding), written straight from ASCII bytes into <paramref name="ids"/> and <paramref name="softMask"/>;
    /// returns how many. The same ids and flags as <see cref="Encode(ReadOnlySpan{byte}, EncodeOptions?)"/>, with no
    /// string and nothing allocated per call: the path from FASTA windows to shards. Size both buffers with
    /// <see cref="MaxTokenCount"/>.
    /// </summary>
    public int EncodeIds(ReadOnlySpan<byte> asciiDna, Span<int> ids, Span<byte> softMask, EncodeOptions? options = null)
    {
        if (softMask.Length < MaxTokenCount(asciiDna.Length, options))
            throw new ArgumentException("softMask is shorter than the ids that may be written (see MaxTokenCount)", nameof(softMask));
        return EncodeIdsAny(asciiDna, ids, options, softMask, wantSoft: true);
    }

    private int EncodeIdsAny<T>(ReadOnlySpan<T> dna, Span<int> destination, EncodeOptions? options, Span<byte> softOut = default, bool wantSoft = false)
        where T : unmanaged, IBinaryInteger<T>
    {
        options ??= EncodeOptions.Default;
        int n = dna.Length;
        int need = MaxTokenCount(n, options);
        if (destination.Length < need) throw new ArgumentException($"destination holds {destination.Length} ids; {need} may be written (see MaxTokenCount)", nameof(destination));
        var (prefix, suffix, maxContent) = Frame(options);
        var pool = ArrayPool<byte>.Shared;
        byte[] codes = pool.Rent(Math.Max(n, 1));
        byte[]? soft = wantSoft ? pool.Rent(Math.Max(n, 1)) : null;
        BaseSpan[]? offsets = null;
        try
        {
            bool anySoft = DnaAlphabet.NormalizeCore(dna, codes, soft is null ? [] : soft.AsSpan(0, n), AmbiguousBases, options.SequenceName, options.Source, 0);
            var codeSpan = codes.AsSpan(0, n);
            if (options.ReverseComplement) ReverseComplementCodes(codeSpan);
            // Offsets are needed here only to place soft-mask flags; families that can skip them do.
            bool needOffsets = (ExactTokenCount(n) is null && !OffsetsOptional) || (wantSoft && anySoft);
            if (needOffsets) offsets = ArrayPool<BaseSpan>.Shared.Rent(Math.Max(need, 1));
            int count = Math.Min(EncodeCore(codeSpan, maxContent, destination[prefix.Length..], offsets ?? []), maxContent);
            prefix.CopyTo(destination);
            suffix.CopyTo(destination[(prefix.Length + count)..]);
            int real = prefix.Length + count + suffix.Length, total = Total(real, options);
            destination[real..total].Fill(Special.Pad);
            if (wantSoft)
            {
                softOut[..total].Clear();
                if (anySoft)
                {
                    var content = offsets.AsSpan(0, count);
                    if (options.ReverseComplement)
                        foreach (ref var o in content) o = new BaseSpan(n - o.End, n - o.Start);
                    MarkSoft(soft.AsSpan(0, n), content, softOut.Slice(prefix.Length, count));
                }
            }
            return total;
        }
        finally
        {
            pool.Return(codes);
            if (soft is not null) pool.Return(soft);
            if (offsets is not null) ArrayPool<BaseSpan>.Shared.Return(offsets);
        }
    }

    private (int[] Prefix, int[] Suffix, int MaxContent) Frame(EncodeOptions options)
    {
        int[] prefix = options.AddSpecialTokens ? Special.Prefix : [];
        int[] suffix = options.AddSpecialTokens ? Special.Suffix : [];
        int maxContent = int.MaxValue;
        if (options.MaxLength is int max)
        {
            maxContent = max - prefix.Length - suffix.Length;
            if (maxContent < 0) throw new ArgumentOutOfRangeException(nameof(options), $"MaxLength {max} leaves no room for the {prefix.Length + suffix.Length} special tokens");
        }
        return (prefix, suffix, maxContent);
    }

    private static int Total(int real, EncodeOptions options) =>
        options.PadToMaxLength && options.MaxLength is int m ? Math.Max(m, real) : real;

    /// <summary>As <see cref="Encode(ReadOnlySpan{char}, EncodeOptions?)"/>, for a string.</summary>
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

    private static int MaxEnd(ReadOnlySpan<BaseSpan> offsets)
    {
        int m = 0;
        foreach (var o in offsets) m = Math.Max(m, o.End);
        return m;
    }

    private static void ReverseComplementCodes(Span<byte> codes)
    {
        codes.Reverse();
        for (int i = 0; i < codes.Length; i++)
            if (codes[i] < DnaAlphabet.N) codes[i] = (byte)(3 - codes[i]); // A↔T, C↔G; N stays N
    }

    // A token is soft-masked when any base under it is lowercase; prefix sums keep this O(tokens).
    private static void MarkSoft(ReadOnlySpan<byte> soft, ReadOnlySpan<BaseSpan> offsets, Span<bool> flags) =>
        MarkSoft(soft, offsets, MemoryMarshal.Cast<bool, byte>(flags));

    private static void MarkSoft(ReadOnlySpan<byte> soft, ReadOnlySpan<BaseSpan> offsets, Span<byte> flags)
    {
        var sums = ArrayPool<int>.Shared.Rent(soft.Length + 1);
        try
        {
            sums[0] = 0;
            for (int i = 0; i < soft.Length; i++) sums[i + 1] = sums[i] + soft[i];
            for (int t = 0; t < offsets.Length; t++)
                flags[t] = sums[offsets[t].End] - sums[offsets[t].Start] > 0 ? (byte)1 : (byte)0;
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

    /// <summary>As <see cref="Decode(IEnumerable{int})"/>, into a caller's buffer (the Microsoft.ML.Tokenizers contract).</summary>
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
