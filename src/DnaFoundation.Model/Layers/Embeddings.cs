using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// Token (+ learned position, + token type) embeddings, LayerNorm and dropout; with a factorized width E
/// (ALBERT/LOGO) a linear <c>projection</c> maps E to the hidden size.
/// </summary>
public sealed class Embeddings : Module<Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly EncoderConfig config;
    private readonly Embedding word_embeddings;
    private readonly Embedding? position_embeddings;
    private readonly Embedding? token_type_embeddings;
    private readonly Norm? LayerNorm;
    private readonly Linear? projection;
    private readonly Dropout dropout;

    public Embeddings(EncoderConfig config, Numerics numerics, Device? device = null) : base(nameof(Embeddings))
    {
        this.config = config;
        int e = config.EmbeddingWidth;
        word_embeddings = ModuleInit.Embedding(config.VocabSize, e, paddingIdx: config.PadTokenId, device: device);
        if (config.PositionEmbeddingType == PositionScheme.Absolute)
            position_embeddings = ModuleInit.Embedding(config.MaxPositionEmbeddings, e,
                paddingIdx: config.PositionNumbering == Model.PositionIds.AfterPadding ? config.PadTokenId : null, device: device);
        if (config.TypeVocabSize > 0)
            token_type_embeddings = ModuleInit.Embedding(config.TypeVocabSize, e, device: device);
        if (config.EmbLayerNormBefore)
            LayerNorm = new Norm(e, config.LayerNormEps, numerics, device);
        if (e != config.HiddenSize)
            projection = ModuleInit.Linear(e, config.HiddenSize, device: device);
        dropout = Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public Embedding WordEmbeddings => word_embeddings;

    /// <summary>(B, T) ids, (B, T) mask, optional (B, T) token types → (B, T, hidden).</summary>
    public override Tensor forward(Tensor inputIds, Tensor? attentionMask, Tensor? tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var x = word_embeddings.forward(inputIds);
        if (config.TokenDropout) x = ApplyTokenDropout(x, inputIds, attentionMask);
        if (position_embeddings is not null)
        {
            var positions = PositionIdsFor(inputIds, attentionMask);
            x = x + position_embeddings.forward(positions);
        }
        if (token_type_embeddings is not null)
            x = x + token_type_embeddings.forward(tokenTypeIds ?? zeros_like(inputIds));
        if (LayerNorm is not null) x = LayerNorm.forward(x);
        x = dropout.forward(x);
        if (projection is not null) x = projection.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    private Tensor PositionIdsFor(Tensor inputIds, Tensor? attentionMask)
    {
        long t = inputIds.shape[1];
        if (t > config.MaxInputTokens)
            throw new ArgumentException($"input has {t} tokens; this model's learned position table holds {config.MaxInputTokens} (max_position_embeddings {config.MaxPositionEmbeddings})");
        if (config.PositionNumbering == Model.PositionIds.Sequential)
            return arange(t, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0);
        // ESM counts positions from padding_idx + 1 over non-padding tokens; padding keeps padding_idx.
        int pad = config.PadTokenId ?? 0;
        var notPad = inputIds.ne(pad).to(ScalarType.Int64);
        return notPad.cumsum(1) * notPad + pad;
    }

    /// <summary>
    /// ESM token dropout at inference and training alike: mask tokens contribute nothing and the rest is scaled by
    /// (1 − 0.15·0.8) / (1 − observed mask ratio), the correction the model was trained with.
    /// </summary>
    private Tensor ApplyTokenDropout(Tensor x, Tensor inputIds, Tensor? attentionMask)
    {
        var isMask = inputIds.eq(config.MaskTokenId!.Value).unsqueeze(-1);
        x = x.masked_fill(isMask, 0.0);
        var lengths = attentionMask is null
            ? full(inputIds.shape[0], inputIds.shape[1], dtype: ScalarType.Float32, device: inputIds.device)
            : attentionMask.to(ScalarType.Float32).sum(-1);
        var observed = isMask.squeeze(-1).to(ScalarType.Float32).sum(-1) / lengths;
        var scale = (1.0 - 0.15 * 0.8) / (1.0 - observed);
        return x * scale.view(-1, 1, 1).to(x.dtype);
    }
}
