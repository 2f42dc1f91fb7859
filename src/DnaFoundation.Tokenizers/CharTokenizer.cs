using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// Single-nucleotide tokens as HyenaDNA's and Caduceus's CharacterTokenizer builds them:
/// [CLS]=0 [SEP]=1 [BOS]=2 [MASK]=3 [PAD]=4 [RESERVED]=5 [UNK]=6, then A=7 C=8 G=9 T=10 N=11; special tokens:
/// [SEP] appended (HyenaDNA's build_inputs_with_special_tokens), nothing in front. One token per base, so token i
/// covers base i and masking is per base.
/// </summary>
public sealed class CharTokenizer : DnaTokenizer
{
    public static readonly string[] CharSpecials = ["[CLS]", "[SEP]", "[BOS]", "[MASK]", "[PAD]", "[RESERVED]", "[UNK]"];

    private readonly int[] baseIds; // code 0..4 → id

    public CharTokenizer(TokenVocabulary vocabulary, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN, string? source = null)
        : base(vocabulary, CharSpecialIds(vocabulary, source), ambiguousBases)
    {
        int unk = Special.Unk;
        baseIds = [.. DnaAlphabet.Letters.Select(c => vocabulary.Find(c.ToString()) ?? unk)];
        if (baseIds[..4].Contains(unk)) throw new DnaInputException("a single-nucleotide vocabulary needs A, C, G and T", source);
    }

    public override string Spec => "char";

    public static CharTokenizer HyenaDna(AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN) =>
        new(new TokenVocabulary([.. CharSpecials, "A", "C", "G", "T", "N"], CharSpecials), ambiguousBases);

    public static CharTokenizer FromVocabTxt(string path, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN) =>
        new(new TokenVocabulary(TokenVocabulary.ReadVocabTxt(path), CharSpecials, path), ambiguousBases, path);

    private static SpecialTokens CharSpecialIds(TokenVocabulary v, string? source)
    {
        int sep = v.Require("[SEP]", source);
        return new SpecialTokens(Unk: v.Require("[UNK]", source), Pad: v.Require("[PAD]", source), Mask: v.Require("[MASK]", source),
            Cls: v.Find("[CLS]"), Sep: sep, Bos: v.Find("[BOS]"), Eos: sep) { Prefix = [], Suffix = [sep] };
    }

    public override void Save(string path) => Vocabulary.WriteVocabTxt(path);

    protected override int? ExactTokenCount(int bases) => bases;

    protected override int EncodeCore(ReadOnlySpan<byte> codes, int maxTokens, Span<int> ids, Span<BaseSpan> offsets)
    {
        int count = Math.Min(codes.Length, maxTokens);
        var table = baseIds.AsSpan(); // codes are 0..4, the table has 5 entries
        var idOut = ids[..count];
        var c = codes[..count];
        for (int i = 0; i < idOut.Length; i++) idOut[i] = table[c[i]];
        if (offsets.IsEmpty) return count;
        var offOut = offsets[..count];
        for (int i = 0; i < offOut.Length; i++) offOut[i] = new BaseSpan(i, i + 1);
        return count;
    }
}
