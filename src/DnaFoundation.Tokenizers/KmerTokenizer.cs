using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// DNABERT's overlapping k-mers (stride 1): a sequence of n bases gives n − k + 1 tokens, token i covering bases
/// [i, i + k). Any k-mer containing N (or an ambiguity code read as N) is [UNK], as DNABERT's vocabulary lookup does.
/// Ids come from the vocabulary (DNABERT's own vocab.txt, or the same order built in: [PAD] [UNK] [CLS] [SEP] [MASK],
/// then the k-mers in itertools.product("ATCG", repeat=k) order); sequences shorter than k give no k-mer tokens.
/// </summary>
public sealed class KmerTokenizer : DnaTokenizer
{
    public static readonly string[] DnabertSpecials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    private readonly int[] kmerIds; // base-4 code (A=0 C=1 G=2 T=3, first base most significant) → id

    public KmerTokenizer(TokenVocabulary vocabulary, int k, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN, string? source = null)
        : this(vocabulary, k, DnabertSpecialIds(vocabulary, HfTokenizerSettings.None, source), ambiguousBases, source)
    {
    }

    private KmerTokenizer(TokenVocabulary vocabulary, int k, SpecialTokens special, AmbiguousBasePolicy ambiguousBases, string? source)
        : base(vocabulary, special, ambiguousBases)
    {
        if (k is < 1 or > 12) throw new ArgumentOutOfRangeException(nameof(k), "k must be 1..12");
        K = k;
        kmerIds = KmerCodes.IdTable(vocabulary, k, source);
    }

    public int K { get; }

    public override int MaskSpan => K;

    public override string Spec => $"kmer:{K}";

    /// <summary>DNABERT's vocabulary for k (4^k + 5 tokens), built in; identical to DNABERT's vocab.txt.</summary>
    public static KmerTokenizer Dnabert(int k, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN)
    {
        if (k is < 3 or > 6) throw new ArgumentOutOfRangeException(nameof(k), "DNABERT has k = 3..6");
        var tokens = new List<string>(DnabertSpecials);
        tokens.AddRange(KmerCodes.ProductOrder("ATCG", k));
        return new KmerTokenizer(new TokenVocabulary(tokens, DnabertSpecials), k, ambiguousBases);
    }

    /// <summary>
    /// Loads a DNABERT vocab.txt; k is the length of its non-special tokens. The special tokens are DNABERT's unless
    /// <paramref name="settings"/> (the directory's special_tokens_map.json / tokenizer_config.json) names others.
    /// </summary>
    public static KmerTokenizer FromVocabTxt(string path, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN, HfTokenizerSettings? settings = null)
    {
        settings ??= HfTokenizerSettings.None;
        var tokens = TokenVocabulary.ReadVocabTxt(path);
        var specials = DnabertSpecials.Concat(HfTokenizerSettings.Roles.Select(r => settings.Token(r, null)).OfType<string>()).ToHashSet(StringComparer.Ordinal);
        var kmers = tokens.Where(t => !specials.Contains(t)).ToList();
        if (kmers.Count == 0 || kmers.Any(t => t.Length != kmers[0].Length))
            throw new DnaInputException("not a DNABERT k-mer vocabulary: its non-special tokens differ in length", path);
        if (kmers[0].Length > 12) throw new DnaInputException($"not a DNABERT k-mer vocabulary: {kmers[0].Length}-character tokens (k-mers of 1..12 bases)", path);
        var vocabulary = new TokenVocabulary(tokens, specials, path);
        return new KmerTokenizer(vocabulary, kmers[0].Length, DnabertSpecialIds(vocabulary, settings, path), ambiguousBases, path);
    }

    private static SpecialTokens DnabertSpecialIds(TokenVocabulary v, HfTokenizerSettings s, string? source) => new(
        Unk: SpecialIds.Require(v, s, "unk_token", "[UNK]", source), Pad: SpecialIds.Require(v, s, "pad_token", "[PAD]", source),
        Mask: SpecialIds.Require(v, s, "mask_token", "[MASK]", source),
        Cls: SpecialIds.Find(v, s, "cls_token", "[CLS]", source), Sep: SpecialIds.Find(v, s, "sep_token", "[SEP]", source));

    public override void Save(string path) => Vocabulary.WriteVocabTxt(path);

    protected override int? ExactTokenCount(int bases) => Math.Max(bases - K + 1, 0);

    protected override int EncodeCore(ReadOnlySpan<byte> codes, int maxTokens, Span<int> ids, Span<BaseSpan> offsets)
    {
        int k = K, n = codes.Length;
        int count = Math.Min(Math.Max(n - k + 1, 0), maxTokens);
        if (count == 0) return 0;
        int mask = (1 << (2 * k)) - 1, unk = Special.Unk;
        int code = 0, lastN = -1;
        // Unchecked reads: every index below is < n, and the table index is masked to 4^k.
        ref byte c = ref MemoryMarshal.GetReference(codes);
        ref int table = ref MemoryMarshal.GetArrayDataReference(kmerIds);
        // Prime the first k - 1 bases, then emit one token per base.
        for (int i = 0; i < k - 1; i++)
        {
            int b = Unsafe.Add(ref c, i);
            if (b == DnaAlphabet.N) lastN = i;
            code = (code << 2) | (b & 3);
        }
        var idOut = ids[..count];
        for (int t = 0; t < idOut.Length; t++)
        {
            int i = t + k - 1;
            int b = Unsafe.Add(ref c, i);
            if (b == DnaAlphabet.N) lastN = i;
            code = ((code << 2) | (b & 3)) & mask;
            idOut[t] = lastN >= t ? unk : Unsafe.Add(ref table, code);
        }
        if (offsets.IsEmpty) return count;
        var offOut = offsets[..count];
        for (int t = 0; t < offOut.Length; t++) offOut[t] = new BaseSpan(t, t + k);
        return count;
    }

    /// <summary>Overlapping k-mers back to bases: the first token's k bases, then the last base of each next token.</summary>
    protected override void DecodeCore(IReadOnlyList<int> ids, StringBuilder sb)
    {
        for (int t = 0; t < ids.Count; t++)
        {
            string kmer = ids[t] == Special.Unk ? new string('N', K) : Vocabulary[ids[t]];
            if (t == 0) sb.Append(kmer);
            else sb.Append(kmer[^1]);
        }
    }
}
