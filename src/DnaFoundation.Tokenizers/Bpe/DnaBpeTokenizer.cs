using DnaFoundation.Core;
using DnaFoundation.Tokenizers.Bpe;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// Byte-pair encoding over bases (DNABERT-2 and vocabularies trained by <see cref="Bpe.BpeTrainer"/>). Ids equal
/// Hugging Face's for the same tokenizer.json: the whole sequence is one word (DNA has no whitespace), merges are
/// applied lowest rank first, leftmost first on ties. Bases with no token of their own (N, unless the vocabulary
/// has one) become [UNK], one per base. Unlike Hugging Face, lowercase (soft-masked) bases are read as their
/// uppercase base and flagged, not turned into [UNK].
/// </summary>
public sealed class DnaBpeTokenizer : DnaTokenizer
{
    private readonly BpeEncoder encoder;
    private readonly List<(int Left, int Right, int Merged)> merges;
    private readonly bool ignoreMerges;
    private readonly int maxTokenLength;

    public DnaBpeTokenizer(TokenVocabulary vocabulary, IReadOnlyList<(int Left, int Right)> merges, SpecialTokens special,
        AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN, bool fuseUnk = false, bool ignoreMerges = false, string? source = null)
        : base(vocabulary, special, ambiguousBases)
    {
        this.merges = new List<(int, int, int)>(merges.Count);
        foreach (var (l, r) in merges)
        {
            var merged = vocabulary[l] + vocabulary[r];
            if (!vocabulary.TryGetId(merged, out int m))
                throw new DnaInputException($"merge '{vocabulary[l]} {vocabulary[r]}' makes '{merged}', which is not in the vocabulary", source);
            this.merges.Add((l, r, m));
        }
        var baseIds = DnaAlphabet.Letters.Select(c => vocabulary.Find(c.ToString()) ?? special.Unk).ToArray();
        encoder = new BpeEncoder(new MergeTable(this.merges), baseIds, special.Unk, fuseUnk);
        FuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        maxTokenLength = vocabulary.Tokens.Where((t, i) => !vocabulary.IsSpecial(i)).Select(t => t.Length).DefaultIfEmpty(1).Max();
    }

    public override string Spec => "bpe";

    /// <summary>Merges in rank order (left id, right id).</summary>
    public IReadOnlyList<(int Left, int Right, int Merged)> Merges => merges;

    public bool FuseUnk { get; }

    /// <summary>Loads a Hugging Face tokenizer.json with a BPE model (e.g. DNABERT-2's).</summary>
    /// <param name="settings">The directory's special_tokens_map.json / tokenizer_config.json: tokens they name for
    /// padding, masking and unknown bases win over the usual names.</param>
    public static DnaBpeTokenizer FromHfJson(string path, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN, HfTokenizerSettings? settings = null)
    {
        var hf = HfTokenizerJson.Read(path);
        var vocab = new TokenVocabulary(hf.Tokens, hf.SpecialTokens, path);
        var mergeIds = hf.Merges.Select((m, i) => (
            vocab.TryGetId(m.Left, out int l) ? l : throw new DnaInputException($"merges[{i}]: '{m.Left}' is not in the vocabulary", path),
            vocab.TryGetId(m.Right, out int r) ? r : throw new DnaInputException($"merges[{i}]: '{m.Right}' is not in the vocabulary", path))).ToList();
        var special = Specials(vocab, hf.UnkToken, hf.Prefix, hf.Suffix, path);
        if (settings is not null)
        {
            // The post-processor template frames the sequence; the tokenizer files say which tokens pad and mask.
            string? dir = Path.GetDirectoryName(path);
            special = special with
            {
                Pad = SpecialIds.Find(vocab, settings, "pad_token", null, dir) ?? special.Pad,
                Mask = SpecialIds.Find(vocab, settings, "mask_token", null, dir) ?? special.Mask,
            };
        }
        return new DnaBpeTokenizer(vocab, mergeIds, special, ambiguousBases, hf.FuseUnk, hf.IgnoreMerges, path);
    }

    /// <summary>
    /// A tokenizer from a trained vocabulary (specials first) and merges, framed [CLS] … [SEP] when those exist,
    /// as DNABERT-2's is.
    /// </summary>
    public static DnaBpeTokenizer Create(IReadOnlyList<string> tokens, IReadOnlyList<string> specialTokens, IReadOnlyList<(int Left, int Right)> merges,
        AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN)
    {
        var vocab = new TokenVocabulary(tokens, specialTokens);
        var cls = new[] { "[CLS]", "<cls>" }.Where(specialTokens.Contains).Take(1).ToList();
        var sep = new[] { "[SEP]", "<sep>", "<eos>" }.Where(specialTokens.Contains).Take(1).ToList();
        var unk = specialTokens.Contains("[UNK]") ? "[UNK]" : "<unk>";
        return new DnaBpeTokenizer(vocab, merges, Specials(vocab, unk, cls, sep, null), ambiguousBases);
    }

    /// <summary>The tokenizer after the first <paramref name="mergeCount"/> merges (a GROVER "cycle"): a prefix of this vocabulary.</summary>
    public DnaBpeTokenizer WithFirstMerges(int mergeCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mergeCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mergeCount, merges.Count);
        int size = merges.Take(mergeCount).Select(m => m.Merged + 1).DefaultIfEmpty(0).Max();
        size = Math.Max(size, Enumerable.Range(0, VocabSize).Where(i => IsSpecial(i) || Vocabulary[i].Length == 1).Max() + 1);
        var tokens = Vocabulary.Tokens.Take(size).ToList();
        var specials = tokens.Where((t, i) => IsSpecial(i));
        return new DnaBpeTokenizer(new TokenVocabulary(tokens, specials), merges.Take(mergeCount).Select(m => (m.Left, m.Right)).ToList(),
            Special, AmbiguousBases, FuseUnk, ignoreMerges);
    }

    private static SpecialTokens Specials(TokenVocabulary vocab, string unkToken, IEnumerable<string> prefixTokens, IEnumerable<string> suffixTokens, string? source)
    {
        int? Named(params string[] names) => names.Select(vocab.Find).FirstOrDefault(id => id is not null);
        var prefix = prefixTokens.Select(t => vocab.Require(t, source)).ToArray();
        var suffix = suffixTokens.Select(t => vocab.Require(t, source)).ToArray();
        return new SpecialTokens(
            Unk: vocab.Require(unkToken, source),
            Pad: Named("[PAD]", "<pad>") ?? throw new DnaInputException("no padding token ([PAD] or <pad>) in the vocabulary", source),
            Mask: Named("[MASK]", "<mask>") ?? throw new DnaInputException("no mask token ([MASK] or <mask>) in the vocabulary", source),
            Cls: prefix.Length > 0 ? prefix[0] : Named("[CLS]", "<cls>"),
            Sep: suffix.Length > 0 ? suffix[^1] : Named("[SEP]", "<sep>"))
        { Prefix = prefix, Suffix = suffix };
    }

    /// <summary>Writes a Hugging Face tokenizer.json (DNABERT-2's layout) that Hugging Face's tokenizers load.</summary>
    public override void Save(string path)
    {
        var specials = Enumerable.Range(0, VocabSize).Where(IsSpecial).Select(i => Vocabulary[i]).ToList();
        HfTokenizerJson.Write(path, Vocabulary.Tokens, merges.Select(m => (Vocabulary[m.Left], Vocabulary[m.Right])).ToList(),
            specials, Vocabulary[Special.Unk], Special.Prefix.Select(i => Vocabulary[i]).ToList(), Special.Suffix.Select(i => Vocabulary[i]).ToList());
    }

    protected override int EncodeCore(ReadOnlySpan<byte> codes, int maxTokens, Span<int> ids, Span<BaseSpan> offsets)
    {
        // Hugging Face's ignore_merges: a word that is itself a token is emitted whole.
        if (ignoreMerges && codes.Length > 1 && codes.Length <= maxTokenLength && WholeWordId(codes) is int whole)
        {
            if (maxTokens == 0) return 0;
            ids[0] = whole;
            offsets[0] = new BaseSpan(0, codes.Length);
            return 1;
        }
        int count = encoder.Encode(codes, maxTokens, ids, offsets);
        return count;
    }

    private int? WholeWordId(ReadOnlySpan<byte> codes)
    {
        Span<char> chars = stackalloc char[codes.Length];
        for (int i = 0; i < codes.Length; i++) chars[i] = DnaAlphabet.Letters[codes[i]];
        return Vocabulary.Find(new string(chars));
    }
}
