namespace DnaFoundation.Tokenizers;

/// <summary>How one sequence is encoded. The defaults give what the family's Hugging Face tokenizer gives.</summary>
public sealed record EncodeOptions
{
    public static readonly EncodeOptions Default = new();

    /// <summary>Frame the tokens with the family's special tokens (<see cref="SpecialTokens.Prefix"/>/<see cref="SpecialTokens.Suffix"/>).</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>Maximum number of tokens, special tokens included; longer encodings are cut on the right (special tokens kept).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Pad with [PAD] up to <see cref="MaxLength"/> (attention mask 0 there).</summary>
    public bool PadToMaxLength { get; init; }

    /// <summary>Encode the reverse complement. Offsets still index the input as given (forward strand).</summary>
    public bool ReverseComplement { get; init; }

    /// <summary>Named in error messages ("sequence 'chr20' position 1234").</summary>
    public string? SequenceName { get; init; }

    /// <summary>File the sequence came from, named in error messages.</summary>
    public string? Source { get; init; }
}
