using DnaFoundation.Model;

namespace DnaFoundation.Model.Tests;

/// <summary>Small configs of each family, for fast tests (dropout off so forward passes are deterministic).</summary>
internal static class TinyConfigs
{
    public static readonly EncoderConfig Bert = new()
    {
        ModelType = "bert", VocabSize = 37, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 48,
        MaxPositionEmbeddings = 64, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, PadTokenId = 0, MaskTokenId = 4,
    };

    public static readonly EncoderConfig MosaicBert = Bert with
    {
        PositionEmbeddingType = PositionScheme.Alibi, FeedForward = FeedForwardKind.Geglu, NumAttentionHeads = 6, HiddenSize = 36,
    };

    public static readonly EncoderConfig Esm = Bert with
    {
        ModelType = "esm", PositionEmbeddingType = PositionScheme.Rotary, LayerNormPlacement = NormPlacement.Pre,
        FeedForward = FeedForwardKind.Swiglu, FeedForwardBias = false, EmbLayerNormBefore = false, TypeVocabSize = 0,
        TieWordEmbeddings = false, PadTokenId = 1, MaskTokenId = 2,
    };

    public static readonly EncoderConfig Albert = Bert with
    {
        ModelType = "albert", EmbeddingSize = 16, TypeVocabSize = 0, NumHiddenGroups = 2,
    };

    public static IEnumerable<object[]> All() =>
    [
        ["bert"], ["mosaic"], ["esm"], ["albert"],
    ];

    public static EncoderConfig Get(string name) => name switch
    {
        "bert" => Bert,
        "mosaic" => MosaicBert,
        "esm" => Esm,
        "albert" => Albert,
        _ => throw new ArgumentException(name),
    };
}
