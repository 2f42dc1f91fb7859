using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;

namespace DnaFoundation.Model;

/// <summary>How a token learns where it is: a learned table, ALiBi biases, or rotary q/k rotations.</summary>
public enum PositionScheme
{
    Absolute,
    Alibi,
    Rotary,
}

/// <summary>Where LayerNorm sits relative to the residual: BERT's post-LN or ESM's pre-LN.</summary>
public enum NormPlacement
{
    Post,
    Pre,
}

/// <summary>
/// The feed-forward block: <c>gelu</c> is BERT's ungated two-layer MLP (activation from <c>hidden_act</c>);
/// <c>geglu</c> (DNABERT-2) and <c>swiglu</c> (NT-v2) are gated units whose first half is activated and multiplies the second.
/// </summary>
public enum FeedForwardKind
{
    Gelu,
    Geglu,
    Swiglu,
}

/// <summary>How absolute position ids are counted: 0, 1, 2… (BERT), or ESM's count from <c>padding_idx + 1</c> over non-padding tokens.</summary>
public enum PositionIds
{
    Sequential,
    AfterPadding,
}

/// <summary>
/// One encoder architecture. JSON keys are the Hugging Face <c>config.json</c> keys; the few choices Hugging Face
/// expresses through the model class instead (norm placement, feed-forward kind) have their own keys, which
/// <see cref="Checkpoints.HfConfigReader"/> fills in when it reads a published checkpoint's config.
/// <para><c>model_type</c> selects the parameter-name layout of checkpoints: <c>bert</c> (HF BERT names; with
/// <c>position_embedding_type = alibi</c> it is MosaicBERT / DNABERT-2's layout), <c>esm</c> (Nucleotide Transformer),
/// <c>albert</c> (factorized embeddings, shared layer groups; LOGO).</para>
/// </summary>
public sealed record EncoderConfig : IValidatableConfig
{
    [AllowedValues("bert", "esm", "albert")]
    public string ModelType { get; init; } = "bert";

    /// <summary>HF class names, e.g. <c>BertForMaskedLM</c>; the first one picks the head when a directory is loaded.</summary>
    public string[]? Architectures { get; init; }

    [Range(1, 10_000_000)] public int VocabSize { get; init; } = 4101;
    [Range(1, 65536)] public int HiddenSize { get; init; } = 768;
    [Range(1, 1000)] public int NumHiddenLayers { get; init; } = 12;
    [Range(1, 1024)] public int NumAttentionHeads { get; init; } = 12;
    [Range(1, 1_000_000)] public int IntermediateSize { get; init; } = 3072;

    [AllowedValues("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish")]
    public string HiddenAct { get; init; } = "gelu";

    [Range(0.0, 1.0)] public double HiddenDropoutProb { get; init; } = 0.1;
    [Range(0.0, 1.0)] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    [Range(1, 10_000_000)] public int MaxPositionEmbeddings { get; init; } = 512;
    [Range(0, 1000)] public int TypeVocabSize { get; init; } = 2;
    [Range(1e-20, 1.0)] public double LayerNormEps { get; init; } = 1e-12;
    [Range(0.0, 10.0)] public double InitializerRange { get; init; } = 0.02;
    public int? PadTokenId { get; init; } = 0;
    public int? MaskTokenId { get; init; }

    public PositionScheme PositionEmbeddingType { get; init; } = PositionScheme.Absolute;
    public NormPlacement LayerNormPlacement { get; init; } = NormPlacement.Post;
    public FeedForwardKind FeedForward { get; init; } = FeedForwardKind.Gelu;
    /// <summary>Biases in the feed-forward linears (NT-v2: <c>add_bias_fnn = false</c>; DNABERT-2's gate has none).</summary>
    public bool FeedForwardBias { get; init; } = true;

    /// <summary>ALBERT/LOGO factorized embedding width E; null means E = hidden size (no mapping layer).</summary>
    public int? EmbeddingSize { get; init; }
    [Range(1, 1000)] public int? NumHiddenGroups { get; init; }
    [Range(1, 100)] public int InnerGroupNum { get; init; } = 1;

    /// <summary>DNABERT-2: the ALiBi table size built up front; longer inputs rebuild it (ALiBi extrapolates).</summary>
    public int? AlibiStartingSize { get; init; }

    /// <summary>LayerNorm on the embeddings (BERT, ALBERT, DNABERT-2: true; ESM: its <c>emb_layer_norm_before</c>).</summary>
    public bool EmbLayerNormBefore { get; init; } = true;

    /// <summary>ESM token dropout: mask-token embeddings zeroed and the rest rescaled by the observed mask ratio.</summary>
    public bool TokenDropout { get; init; }

    public bool TieWordEmbeddings { get; init; } = true;

    // ---- what Hugging Face expresses through the model class: explicit here, filled when a published config is read ----

    /// <summary>The checkpoint's parameter names (<see cref="Checkpoints.LayoutNames"/>); null = from <c>model_type</c> and the position scheme.</summary>
    public CheckpointLayout? CheckpointLayout { get; init; }

    /// <summary>How learned positions are numbered; null = the layout's habit (ESM counts from padding_idx + 1).</summary>
    public PositionIds? PositionIds { get; init; }

    /// <summary>Bias on the feed-forward's first (gate/up) projection; null = <see cref="FeedForwardBias"/> unless the layout has none (DNABERT-2's <c>gated_layers</c>).</summary>
    public bool? FeedForwardGateBias { get; init; }

    /// <summary>The MLM head's activation; null = <see cref="HiddenAct"/>, or GELU for ESM (whose <c>lm_head</c> hard-codes it).</summary>
    [AllowedValues(null, "gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish")]
    public string? MlmActivation { get; init; }

    /// <summary>
    /// DNABERT (transformers 2.5 fork): <c>BertLMPredictionHead</c> returns <c>decoder(h) + bias</c> while
    /// <c>decoder.bias</c> is that same bias, so the MLM bias is added twice. True reproduces the published model's logits.
    /// </summary>
    public bool MlmBiasAddedTwice { get; init; }

    /// <summary>A LayerNorm after the last block; null = pre-LN layouts that name one have it (ESM's <c>emb_layer_norm_after</c>; GENA-LM's <c>last_layer_norm</c> is off).</summary>
    public bool? FinalLayerNorm { get; init; }

    /// <summary>Where the model came from when it was read from a published Hugging Face config (kept for <c>model export</c>).</summary>
    public PublishedSource? Published { get; init; }

    /// <summary>Labels of a classification head (HF keys); <see cref="NumLabels"/> wins when both are given.</summary>
    public Dictionary<string, string>? Id2label { get; init; }
    public Dictionary<string, int>? Label2id { get; init; }
    [Range(1, 100_000)] public int? NumLabels { get; init; }

    /// <summary>HF: <c>single_label_classification</c>, <c>multi_label_classification</c> (chromatin) or <c>regression</c>.</summary>
    [AllowedValues(null, "single_label_classification", "multi_label_classification", "regression")]
    public string? ProblemType { get; init; }

    [Range(0.0, 1.0)] public double? ClassifierDropout { get; init; }

    /// <summary>Sequence pooling for classification: <c>cls</c> (pooler dense+tanh on the first token, as HF) or <c>mean</c> over unmasked tokens.</summary>
    [AllowedValues("cls", "mean")]
    public string ClassifierPooling { get; init; } = "cls";

    /// <summary>LOGO multitask: per-token region labels and sequence-level chromatin labels (e.g. DeepSEA's 919).</summary>
    [Range(1, 100_000)] public int? NumRegionLabels { get; init; }
    [Range(1, 100_000)] public int? NumChromatinLabels { get; init; }

    // ---- derived ----

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;
    [JsonIgnore] public int EmbeddingWidth => EmbeddingSize ?? HiddenSize;
    [JsonIgnore] public int HiddenGroups => NumHiddenGroups ?? NumHiddenLayers;
    [JsonIgnore] public bool IsGated => FeedForward != FeedForwardKind.Gelu;
    [JsonIgnore] public int LabelCount => NumLabels ?? Id2label?.Count ?? 2;

    /// <summary>The checkpoint name layout: <see cref="CheckpointLayout"/>, or the one implied by <see cref="ModelType"/> and the position scheme.</summary>
    [JsonIgnore]
    public CheckpointLayout Layout => CheckpointLayout ?? ModelType switch
    {
        "esm" => Model.CheckpointLayout.Esm,
        "albert" => Model.CheckpointLayout.Albert,
        _ => PositionEmbeddingType == PositionScheme.Alibi ? Model.CheckpointLayout.MosaicBert : Model.CheckpointLayout.Bert,
    };

    [JsonIgnore] public LayoutNames Names => LayoutNames.For(Layout);

    // The explicit fields with the layout's defaults filled in: what the modules read.
    [JsonIgnore] public PositionIds PositionNumbering => PositionIds ?? Names.PositionIds;
    [JsonIgnore] public bool HasFeedForwardGateBias => FeedForwardGateBias ?? (FeedForwardBias && Names.FeedForwardGateBias);
    [JsonIgnore] public string MlmAct => MlmActivation ?? Names.MlmActivation ?? HiddenAct;
    /// <summary>Tokens one input may hold: the learned table's rows (ESM numbers them from padding_idx + 1), unbounded otherwise.</summary>
    [JsonIgnore] public int MaxInputTokens => PositionEmbeddingType != PositionScheme.Absolute ? int.MaxValue
        : PositionNumbering == Model.PositionIds.AfterPadding ? MaxPositionEmbeddings - (PadTokenId ?? 0) - 1 : MaxPositionEmbeddings;
    [JsonIgnore] public bool HasFinalLayerNorm => FinalLayerNorm ?? (LayerNormPlacement == NormPlacement.Pre && Names.FinalNorm is not null);

    public IEnumerable<string> Validate()
    {
        if (HiddenSize % NumAttentionHeads != 0)
            yield return $"key 'hidden_size': {HiddenSize} is not a multiple of num_attention_heads ({NumAttentionHeads})";
        if (PositionEmbeddingType == PositionScheme.Rotary && HeadDim % 2 != 0)
            yield return $"key 'position_embedding_type': rotary needs an even head size; hidden_size / num_attention_heads = {HeadDim}";
        if (NumHiddenLayers % HiddenGroups != 0)
            yield return $"key 'num_hidden_groups': {HiddenGroups} does not divide num_hidden_layers ({NumHiddenLayers})";
        if (CheckpointLayout is { } l && LayoutNames.For(l).ModelType != ModelType)
            yield return $"key 'checkpoint_layout': {JsonNamingPolicy.KebabCaseLower.ConvertName(l.ToString())} names the parameters of model_type '{LayoutNames.For(l).ModelType}', not '{ModelType}'";
        if (ModelType != "albert" && (HiddenGroups != NumHiddenLayers || InnerGroupNum != 1))
            yield return "keys 'num_hidden_groups'/'inner_group_num': cross-layer sharing needs model_type 'albert' (its checkpoint layout names shared groups)";
        if (ModelType != "albert" && EmbeddingSize is int e && e != HiddenSize)
            yield return "key 'embedding_size': a factorized embedding needs model_type 'albert'";
        foreach (var problem in Names.Unsupported(this))
            yield return problem;
        if (TokenDropout && MaskTokenId is null)
            yield return "key 'token_dropout': needs mask_token_id";
        if (PadTokenId is int p && (p < 0 || p >= VocabSize))
            yield return $"key 'pad_token_id': {p} is outside the vocabulary (0..{VocabSize - 1})";
    }
}

/// <summary>Parameter-name families of published checkpoints.</summary>
public enum CheckpointLayout
{
    /// <summary>Hugging Face BERT: DNABERT, GROVER.</summary>
    Bert,
    /// <summary>Pre-LN BERT as GENA-LM's modeling_bert writes it: <c>pre_attention_ln</c>/<c>post_attention_ln</c> per layer.</summary>
    BertPreLn,
    /// <summary>MosaicBERT as used by DNABERT-2: fused <c>Wqkv</c>, <c>mlp.gated_layers</c>/<c>mlp.wo</c>.</summary>
    MosaicBert,
    /// <summary>Hugging Face ESM as used by Nucleotide Transformer.</summary>
    Esm,
    /// <summary>Hugging Face ALBERT: factorized embeddings, shared layer groups (LOGO).</summary>
    Albert,
}
