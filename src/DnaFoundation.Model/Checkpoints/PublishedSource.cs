using System.Text.Json.Nodes;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>The published model families whose Hugging Face checkpoints load as shipped (and export back).</summary>
public enum PublishedFamily
{
    /// <summary>Hugging Face BERT (GROVER and other stock BertFor* checkpoints).</summary>
    Bert,
    /// <summary>DNABERT <c>DNA_bert_3..6</c>: BERT saved by the transformers-2.5 fork (MLM bias added twice).</summary>
    Dnabert,
    /// <summary>DNABERT-2 and DNABERT-S: MosaicBERT remote code (<c>bert_layers.py</c>).</summary>
    Dnabert2,
    /// <summary>Nucleotide Transformer v1: stock Hugging Face ESM (learned positions, GELU, token dropout).</summary>
    NtV1,
    /// <summary>Nucleotide Transformer v2: InstaDeep's remote ESM code (rotary, SwiGLU without biases).</summary>
    NtV2,
    /// <summary>GENA-LM: AIRI's pre-LN BERT fork (<c>modeling_bert.py</c>).</summary>
    GenaLm,
    /// <summary>Hugging Face ALBERT (the LOGO family converted to Hugging Face).</summary>
    Albert,
}

/// <summary>
/// The published <c>config.json</c> a model was read from, verbatim, and the family it was recognised as. It travels
/// with the model's config (key <c>published</c>), so <c>dnafm model export</c> can write the family's own config back:
/// the keys transformers wrote that we ignore, in their original spelling and values.
/// </summary>
public sealed record PublishedSource
{
    public required PublishedFamily Family { get; init; }

    public required JsonObject Config { get; init; }

    public bool Equals(PublishedSource? other) =>
        other is not null && Family == other.Family && JsonNode.DeepEquals(Config, other.Config);

    public override int GetHashCode() => HashCode.Combine(Family, Config.Count);
}
