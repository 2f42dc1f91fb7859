namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// What one checkpoint family calls each part of the encoder, as data: the only place that knows Hugging Face names.
/// <see cref="HfNaming"/> reads this table; no module branches on the family. Names of encoder parts are relative to
/// <see cref="Prefix"/> (the base model, e.g. <c>bert.</c>); <see cref="Layer"/> is a format string over
/// {0} = layer, {1} = layer group, {2} = layer within its group (ALBERT shares weights across a group).
/// </summary>
public sealed record LayoutNames
{
    /// <summary>HF <c>model_type</c> whose classes write this layout.</summary>
    public required string ModelType { get; init; }

    /// <summary>Class-name stem: <c>Bert</c> gives BertModel, BertForMaskedLM, …</summary>
    public required string ClassStem { get; init; }

    /// <summary>The base model's attribute name plus a dot (<c>base_model_prefix</c> in transformers).</summary>
    public required string Prefix { get; init; }

    public string Layer { get; init; } = "encoder.layer.{0}.";

    /// <summary>One fused q|k|v projection, or three stacked along dim 0 into our fused <c>qkv</c>.</summary>
    public string[] Qkv { get; init; } = ["attention.self.query", "attention.self.key", "attention.self.value"];

    public string AttentionOutput { get; init; } = "attention.output.dense";
    public required string AttentionNorm { get; init; }
    public string FfnUp { get; init; } = "intermediate.dense";
    public string FfnDown { get; init; } = "output.dense";
    public required string FfnNorm { get; init; }
    public string EmbeddingNorm { get; init; } = "embeddings.LayerNorm";
    public string? EmbeddingProjection { get; init; }
    public string? FinalNorm { get; init; }

    /// <summary>The MLM head: a prefix (outside the base model) and its parts.</summary>
    public required string Mlm { get; init; }
    public string MlmDense { get; init; } = "transform.dense";
    public string MlmNorm { get; init; } = "transform.LayerNorm";
    public string MlmDecoder { get; init; } = "decoder.weight";
    public string MlmBias { get; init; } = "bias";

    /// <summary>The bias's second name in files (the same storage); <see cref="WritesMlmBiasAlias"/>: torch.save of the family's class writes it.</summary>
    public string MlmBiasAlias { get; init; } = "decoder.bias";
    public bool WritesMlmBiasAlias { get; init; }

    /// <summary>The sequence head's pooler (dense + tanh) and classifier; {0} is <c>classifier</c> (or <c>chromatin_classifier</c> in our multitask model).</summary>
    public string Pooler { get; init; } = "{p}pooler.dense";
    public string SequenceClassifier { get; init; } = "{0}";

    /// <summary>Tensors the family stores that this architecture never uses, by name prefix (after the base prefix where {p} is used).</summary>
    public IReadOnlyList<(string Prefix, string Reason)> StoredUnused { get; init; } = [];

    // ---- what the family's modeling code does that its config does not say (defaults of EncoderConfig's explicit fields) ----

    public NormPlacement Norm { get; init; } = NormPlacement.Post;
    public IReadOnlyList<FeedForwardKind> FeedForwards { get; init; } = [FeedForwardKind.Gelu];
    public PositionIds PositionIds { get; init; } = PositionIds.Sequential;
    public bool FeedForwardGateBias { get; init; } = true;
    public string? MlmActivation { get; init; }

    public static LayoutNames For(CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.Bert => Bert,
        CheckpointLayout.BertPreLn => BertPreLn,
        CheckpointLayout.MosaicBert => MosaicBert,
        CheckpointLayout.Esm => Esm,
        CheckpointLayout.Albert => Albert,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, null),
    };

    /// <summary>Hugging Face BERT (DNABERT, GROVER): post-LN, separate q/k/v, <c>cls.predictions.bias</c> also stored as <c>decoder.bias</c>.</summary>
    public static readonly LayoutNames Bert = new()
    {
        ModelType = "bert", ClassStem = "Bert", Prefix = "bert.",
        AttentionNorm = "attention.output.LayerNorm", FfnNorm = "output.LayerNorm",
        Mlm = "cls.predictions.", WritesMlmBiasAlias = true,
        StoredUnused = [("cls.seq_relationship.", "next-sentence head of BERT pretraining")],
    };

    /// <summary>GENA-LM's pre-LN BERT (modeling_bert.py with <c>pre_layer_norm</c>): the two norms sit before attention and before the MLP.</summary>
    public static readonly LayoutNames BertPreLn = Bert with
    {
        AttentionNorm = "pre_attention_ln", FfnNorm = "post_attention_ln", FinalNorm = "encoder.last_layer_ln", Norm = NormPlacement.Pre,
    };

    /// <summary>MosaicBERT / DNABERT-2 (<c>bert_layers.py</c>): fused <c>Wqkv</c>, GEGLU <c>mlp.gated_layers</c> without bias, bias under <c>decoder.bias</c> only.</summary>
    public static readonly LayoutNames MosaicBert = Bert with
    {
        Qkv = ["attention.self.Wqkv"], FfnUp = "mlp.gated_layers", FfnDown = "mlp.wo", FfnNorm = "mlp.layernorm",
        MlmBias = "decoder.bias", MlmBiasAlias = "bias", WritesMlmBiasAlias = false,
        FeedForwards = [FeedForwardKind.Geglu], FeedForwardGateBias = false,
    };

    /// <summary>Hugging Face ESM (Nucleotide Transformer v1 native, v2 remote code): pre-LN, final <c>emb_layer_norm_after</c>, <c>lm_head</c>.</summary>
    public static readonly LayoutNames Esm = new()
    {
        ModelType = "esm", ClassStem = "Esm", Prefix = "esm.",
        AttentionNorm = "attention.LayerNorm", FfnNorm = "LayerNorm", EmbeddingNorm = "embeddings.layer_norm",
        FinalNorm = "encoder.emb_layer_norm_after",
        Mlm = "lm_head.", MlmDense = "dense", MlmNorm = "layer_norm",
        Pooler = "{0}.dense", SequenceClassifier = "{0}.out_proj",
        StoredUnused = [("{p}contact_head.", "ESM protein contact-prediction head (not used for DNA)")],
        Norm = NormPlacement.Pre, FeedForwards = [FeedForwardKind.Gelu, FeedForwardKind.Swiglu, FeedForwardKind.Geglu],
        PositionIds = PositionIds.AfterPadding, MlmActivation = "gelu",
    };

    /// <summary>Hugging Face ALBERT (LOGO): factorized embeddings, layer groups sharing weights.</summary>
    public static readonly LayoutNames Albert = new()
    {
        ModelType = "albert", ClassStem = "Albert", Prefix = "albert.",
        Layer = "encoder.albert_layer_groups.{1}.albert_layers.{2}.",
        Qkv = ["attention.query", "attention.key", "attention.value"],
        AttentionOutput = "attention.dense", AttentionNorm = "attention.LayerNorm",
        FfnUp = "ffn", FfnDown = "ffn_output", FfnNorm = "full_layer_layer_norm",
        EmbeddingProjection = "encoder.embedding_hidden_mapping_in",
        Mlm = "predictions.", MlmDense = "dense", MlmNorm = "LayerNorm", WritesMlmBiasAlias = true,
        Pooler = "{p}pooler",
        StoredUnused = [("sop_classifier.", "sentence-order head of ALBERT pretraining")],
    };

    /// <summary>What a config asks for that this layout has no names for (each a message naming the key).</summary>
    public IEnumerable<string> Unsupported(EncoderConfig c)
    {
        string name = c.Layout.ToString();
        if (c.LayerNormPlacement != Norm)
            yield return $"key 'layer_norm_placement': the {name} checkpoint layout is {Norm.ToString().ToLowerInvariant()}-LN";
        if (!FeedForwards.Contains(c.FeedForward))
            yield return $"key 'feed_forward': the {name} checkpoint layout has a {string.Join(" or ", FeedForwards.Select(f => f.ToString().ToLowerInvariant()))} feed-forward, not {c.FeedForward.ToString().ToLowerInvariant()}";
        if (c.HasFinalLayerNorm && FinalNorm is null)
            yield return $"key 'final_layer_norm': the {name} checkpoint layout has no name for a LayerNorm after the last block";
    }
}
