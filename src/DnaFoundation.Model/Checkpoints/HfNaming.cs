using System.Text.RegularExpressions;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Maps our parameter names to Hugging Face's for each checkpoint layout. Our modules use one canonical tree
/// (<c>encoder.layer.K.attention.qkv</c>, <c>ffn.up</c>, <c>attention_norm</c>, …); this table is the only place that
/// knows what each family calls them. A canonical name maps to one HF name, or to three (query, key, value)
/// that are stacked along dim 0 into our fused <c>qkv</c>.
/// </summary>
public static partial class HfNaming
{
    /// <summary>The HF names of one canonical parameter (1 name, or 3 stacked q/k/v parts).</summary>
    public static string[] External(string canonical, EncoderConfig config, ModelHeads heads)
    {
        var layout = config.Layout;
        string p = Prefix(layout);

        var m = LayerName().Match(canonical);
        if (m.Success)
        {
            int k = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            string lp = layout == CheckpointLayout.Albert
                ? $"albert.encoder.albert_layer_groups.{k / config.InnerGroupNum}.albert_layers.{k % config.InnerGroupNum}."
                : $"{p}encoder.layer.{k}.";
            var (part, leaf) = (m.Groups[2].Value, m.Groups[3].Value);
            if (part == "attention.qkv")
            {
                string a = layout switch
                {
                    CheckpointLayout.MosaicBert => "attention.self.Wqkv",
                    CheckpointLayout.Albert => "attention.",
                    _ => "attention.self.",
                };
                return layout == CheckpointLayout.MosaicBert
                    ? [$"{lp}{a}.{leaf}"]
                    : [$"{lp}{a}query.{leaf}", $"{lp}{a}key.{leaf}", $"{lp}{a}value.{leaf}"];
            }
            string mapped = (part, layout) switch
            {
                ("attention.dense", CheckpointLayout.Albert) => "attention.dense",
                ("attention.dense", _) => "attention.output.dense",
                ("attention_norm", CheckpointLayout.Bert or CheckpointLayout.MosaicBert) => "attention.output.LayerNorm",
                ("attention_norm", _) => "attention.LayerNorm",
                ("ffn.up", CheckpointLayout.MosaicBert) => "mlp.gated_layers",
                ("ffn.up", CheckpointLayout.Albert) => "ffn",
                ("ffn.up", _) => "intermediate.dense",
                ("ffn.down", CheckpointLayout.MosaicBert) => "mlp.wo",
                ("ffn.down", CheckpointLayout.Albert) => "ffn_output",
                ("ffn.down", _) => "output.dense",
                ("ffn_norm", CheckpointLayout.Bert) => "output.LayerNorm",
                ("ffn_norm", CheckpointLayout.MosaicBert) => "mlp.layernorm",
                ("ffn_norm", CheckpointLayout.Esm) => "LayerNorm",
                ("ffn_norm", CheckpointLayout.Albert) => "full_layer_layer_norm",
                _ => throw new ArgumentException($"no HF name for '{canonical}'"),
            };
            return [$"{lp}{mapped}.{leaf}"];
        }

        bool multi = heads == ModelHeads.MultiTask;
        bool esm = layout == CheckpointLayout.Esm;
        string name = canonical switch
        {
            "encoder.embeddings.LayerNorm.weight" or "encoder.embeddings.LayerNorm.bias" when esm =>
                p + "embeddings.layer_norm." + Leaf(canonical),
            "encoder.embeddings.projection.weight" or "encoder.embeddings.projection.bias" =>
                "albert.encoder.embedding_hidden_mapping_in." + Leaf(canonical),
            _ when canonical.StartsWith("encoder.embeddings.", StringComparison.Ordinal) => p + canonical["encoder.".Length..],
            "encoder.final_norm.weight" or "encoder.final_norm.bias" => p + "encoder.emb_layer_norm_after." + Leaf(canonical),

            "mlm.dense.weight" or "mlm.dense.bias" => MlmPrefix(layout) + (layout is CheckpointLayout.Bert or CheckpointLayout.MosaicBert ? "transform.dense." : "dense.") + Leaf(canonical),
            "mlm.LayerNorm.weight" or "mlm.LayerNorm.bias" => MlmPrefix(layout) + layout switch
            {
                CheckpointLayout.Bert or CheckpointLayout.MosaicBert => "transform.LayerNorm.",
                CheckpointLayout.Esm => "layer_norm.",
                _ => "LayerNorm.",
            } + Leaf(canonical),
            "mlm.decoder" => MlmPrefix(layout) + "decoder.weight",
            "mlm.bias" => MlmPrefix(layout) + (layout == CheckpointLayout.MosaicBert ? "decoder.bias" : "bias"),

            "sequence.pooler.weight" or "sequence.pooler.bias" => layout switch
            {
                CheckpointLayout.Esm => (multi ? "chromatin_classifier" : "classifier") + ".dense.",
                CheckpointLayout.Albert => "albert.pooler.",
                _ => p + "pooler.dense.",
            } + Leaf(canonical),
            "sequence.classifier.weight" or "sequence.classifier.bias" =>
                (multi ? "chromatin_classifier" : "classifier") + (esm ? ".out_proj." : ".") + Leaf(canonical),
            "token.classifier.weight" or "token.classifier.bias" => (multi ? "region_classifier." : "classifier.") + Leaf(canonical),
            _ => throw new ArgumentException($"no HF name for '{canonical}'"),
        };
        return [name];
    }

    /// <summary>
    /// Names a published checkpoint may hold that carry nothing our model needs, with the reason. They load and are
    /// dropped; anything else unknown is an error.
    /// </summary>
    public static string? IgnoreReason(string external, EncoderConfig config, ModelHeads heads)
    {
        if (external.EndsWith(".position_ids", StringComparison.Ordinal) || external.EndsWith(".token_type_ids", StringComparison.Ordinal))
            return "index buffer (older transformers saved it)";
        if (external.EndsWith(".rotary_embeddings.inv_freq", StringComparison.Ordinal))
            return "rotary frequency buffer (recomputed; values checked)";
        if (config.Layout == CheckpointLayout.Esm && config.PositionEmbeddingType != PositionScheme.Absolute && external == "esm.embeddings.position_embeddings.weight")
            return "position table unused by a rotary model (HF ESM always allocates it)";
        if (external.StartsWith("esm.contact_head.", StringComparison.Ordinal))
            return "ESM protein contact-prediction head (not used for DNA)";
        if (external.StartsWith("cls.seq_relationship.", StringComparison.Ordinal) || external.StartsWith("sop_classifier.", StringComparison.Ordinal))
            return "next-sentence / sentence-order head of BERT/ALBERT pretraining";
        if (!heads.HasFlag(ModelHeads.Sequence) && (external.StartsWith(Prefix(config.Layout) + "pooler.", StringComparison.Ordinal)))
            return "pooler (used only by the sequence-classification head)";
        if (heads.HasFlag(ModelHeads.MaskedLm) && config.TieWordEmbeddings && external == MlmPrefix(config.Layout) + "decoder.weight")
            return "decoder tied to the input embeddings";
        return null;
    }

    /// <summary>Alternative names for the MLM output bias (HF keeps it under two names that share storage).</summary>
    public static string? Alias(string external, EncoderConfig config) => (config.Layout, external) switch
    {
        (CheckpointLayout.Bert, "cls.predictions.bias") => "cls.predictions.decoder.bias",
        (CheckpointLayout.MosaicBert, "cls.predictions.decoder.bias") => "cls.predictions.bias",
        (CheckpointLayout.Albert, "predictions.bias") => "predictions.decoder.bias",
        (CheckpointLayout.Esm, "lm_head.bias") => "lm_head.decoder.bias",
        _ => null,
    };

    /// <summary>True for names that belong to a head rather than the encoder (for encoder-only loading).</summary>
    public static bool IsHead(string canonical) => !canonical.StartsWith("encoder.", StringComparison.Ordinal);

    public static string Prefix(CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.Esm => "esm.",
        CheckpointLayout.Albert => "albert.",
        _ => "bert.",
    };

    private static string MlmPrefix(CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.Esm => "lm_head.",
        CheckpointLayout.Albert => "predictions.",
        _ => "cls.predictions.",
    };

    private static string Leaf(string name) => name[(name.LastIndexOf('.') + 1)..];

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.(attention\.qkv|attention\.dense|attention_norm|ffn\.up|ffn\.down|ffn_norm)\.(weight|bias)$")]
    private static partial Regex LayerName();
}
