using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// Nucleotide Transformer's non-overlapping k-mers (k = 6), reproducing NT's public tokenizer
/// (<c>NucleotidesKmersTokenizer.tokenize</c>): the sequence is split at every N; each piece is cut into k-mers from
/// its left end; a tail shorter than k becomes single-base tokens; each N is its own token (N is never inside a
/// k-mer). Vocabulary (NT's <c>compute_tokens_to_ids_v2</c>, the order of the published Hugging Face vocab.txt):
/// &lt;unk&gt; &lt;pad&gt; &lt;mask&gt; &lt;cls&gt; &lt;eos&gt; &lt;bos&gt;, the 4^k k-mers in product("ATCG") order,
/// then A T C G N — 4,107 tokens for k = 6. Special tokens: &lt;cls&gt; in front, nothing behind, as NT's models use.
/// </summary>
public sealed class NtKmerTokenizer : DnaTokenizer
{
    public static readonly string[] NtSpecials = ["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>"];

    private readonly int[] kmerIds;
    private readonly int[] singleIds; // code 0..4 → id of "A" "C" "G" "T" "N"

    public NtKmerTokenizer(TokenVocabulary vocabulary, int k, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN, string? source = null)
        : this(vocabulary, k, NtSpecialIds(vocabulary, HfTokenizerSettings.None, source), ambiguousBases, source)
    {
    }

    private NtKmerTokenizer(TokenVocabulary vocabulary, int k, SpecialTokens special, AmbiguousBasePolicy ambiguousBases, string? source)
        : base(vocabulary, special, ambiguousBases)
    {
        if (k is < 2 or > 12) throw new ArgumentOutOfRangeException(nameof(k), "k must be 2..12");
        K = k;
        kmerIds = KmerCodes.IdTable(vocabulary, k, source);
        singleIds = [.. DnaAlphabet.Letters.Select(c => vocabulary.Require(c.ToString(), source))];
    }

    public int K { get; }

    public override string Spec => K == 6 ? "nt6" : $"nt:{K}";

    /// <summary>NT's vocabulary for k, built in (k = 6: the 4,107 tokens of every published NT model).</summary>
    public static NtKmerTokenizer NucleotideTransformer(int k = 6, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN)
    {
        var tokens = new List<string>(NtSpecials);
        tokens.AddRange(KmerCodes.ProductOrder("ATCG", k));
        tokens.AddRange(["A", "T", "C", "G", "N"]);
        return new NtKmerTokenizer(new TokenVocabulary(tokens, NtSpecials), k, ambiguousBases);
    }

    /// <summary>
    /// Loads an NT vocab.txt (v2's order, or v1's with &lt;eos&gt; &lt;bos&gt; last); k is the length of its longest
    /// tokens. As HF's EsmTokenizer: &lt;cls&gt; in front, and &lt;eos&gt; behind only when <paramref name="settings"/>
    /// names an eos token (NT's files say <c>"eos_token": null</c> or nothing).
    /// </summary>
    public static NtKmerTokenizer FromVocabTxt(string path, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN, HfTokenizerSettings? settings = null)
    {
        settings ??= HfTokenizerSettings.None;
        var tokens = TokenVocabulary.ReadVocabTxt(path);
        int k = tokens.Where(t => !NtSpecials.Contains(t)).Select(t => t.Length).DefaultIfEmpty(0).Max();
        if (k < 2) throw new DnaInputException("not a Nucleotide Transformer vocabulary: no k-mer tokens", path);
        if (k > 12) throw new DnaInputException($"not a Nucleotide Transformer vocabulary: a {k}-character token (k-mers of 2..12 bases)", path);
        var vocabulary = new TokenVocabulary(tokens, NtSpecials, path);
        return new NtKmerTokenizer(vocabulary, k, NtSpecialIds(vocabulary, settings, path), ambiguousBases, path);
    }

    private static SpecialTokens NtSpecialIds(TokenVocabulary v, HfTokenizerSettings s, string? source)
    {
        int? cls = SpecialIds.Find(v, s, "cls_token", "<cls>", source);
        int? eos = s.Token("eos_token", null) is null ? null : SpecialIds.Find(v, s, "eos_token", null, source);
        return new SpecialTokens(Unk: SpecialIds.Require(v, s, "unk_token", "<unk>", source), Pad: SpecialIds.Require(v, s, "pad_token", "<pad>", source),
            Mask: SpecialIds.Require(v, s, "mask_token", "<mask>", source), Cls: cls, Sep: eos, Bos: v.Find("<bos>"), Eos: eos ?? v.Find("<eos>"));
    }

    public override void Save(string path) => Vocabulary.WriteVocabTxt(path);

    protected override bool OffsetsOptional => true;

    protected override int EncodeCore(ReadOnlySpan<byte> codes, int maxTokens, Span<int> ids, Span<BaseSpan> offsets)
    {
        int k = K, n = codes.Length, t = 0, i = 0;
        bool withOffsets = !offsets.IsEmpty;
        // Unchecked reads inside a segment: every index read is < segEnd <= n, and codes there are 0..3 (N ends a
        // segment), so a k-mer's code is < 4^k, the table's length.
        ref byte c = ref MemoryMarshal.GetReference(codes);
        ref int table = ref MemoryMarshal.GetArrayDataReference(kmerIds);
        while (i < n && t < maxTokens)
        {
            int segEnd = codes[i..].IndexOf(DnaAlphabet.N);
            segEnd = segEnd < 0 ? n : i + segEnd;
            int full = Math.Min((segEnd - i) / k, maxTokens - t);
            var idOut = ids.Slice(t, full);
            if (k == 6)
            {
                for (int m = 0; m < idOut.Length; m++, i += 6)
                {
                    ref byte b = ref Unsafe.Add(ref c, i);
                    int code = (b << 10) | (Unsafe.Add(ref b, 1) << 8) | (Unsafe.Add(ref b, 2) << 6) | (Unsafe.Add(ref b, 3) << 4) | (Unsafe.Add(ref b, 4) << 2) | Unsafe.Add(ref b, 5);
                    idOut[m] = Unsafe.Add(ref table, code);
                }
            }
            else
            {
                for (int m = 0; m < idOut.Length; m++, i += k)
                {
                    int code = 0;
                    for (int j = 0; j < k; j++) code = (code << 2) | Unsafe.Add(ref c, i + j);
                    idOut[m] = Unsafe.Add(ref table, code);
                }
            }
            if (withOffsets)
                for (int m = 0, start = i - full * k; m < full; m++) offsets[t + m] = new BaseSpan(start + m * k, start + (m + 1) * k);
            t += full;   // when out of room (t == maxTokens) nothing below runs and the loop ends
            for (; i < segEnd && t < maxTokens; i++, t++)
            {
                ids[t] = singleIds[codes[i]];
                if (withOffsets) offsets[t] = new BaseSpan(i, i + 1);
            }
            if (segEnd < n && t < maxTokens)
            {
                ids[t] = singleIds[DnaAlphabet.N];
                if (withOffsets) offsets[t] = new BaseSpan(segEnd, segEnd + 1);
                t++;
                i = segEnd + 1;
            }
        }
        return t;
    }
}
