namespace DnaFoundation.Tokenizers;

/// <summary>
/// Ids of a family's special tokens, and the template that frames every encoded sequence
/// (DNABERT/DNABERT-2: [CLS] … [SEP]; Nucleotide Transformer: &lt;cls&gt; …; HyenaDNA/Caduceus: … [SEP]).
/// Masked-LM code needs <see cref="Mask"/>, <see cref="Pad"/> and <see cref="DnaTokenizer.IsSpecial"/>.
/// </summary>
public sealed record SpecialTokens(int Unk, int Pad, int Mask, int? Cls, int? Sep, int? Bos = null, int? Eos = null)
{
    /// <summary>Ids put before the sequence's tokens when special tokens are added.</summary>
    public int[] Prefix { get; init; } = Cls is int c ? [c] : [];

    /// <summary>Ids put after the sequence's tokens when special tokens are added.</summary>
    public int[] Suffix { get; init; } = Sep is int s ? [s] : [];
}
