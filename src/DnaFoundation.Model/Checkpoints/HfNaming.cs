using System.Globalization;
using System.Text.RegularExpressions;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Maps our parameter names to Hugging Face's through the family's <see cref="LayoutNames"/> table. Our modules use
/// one canonical tree (<c>encoder.layer.K.attention.qkv</c>, <c>ffn.up</c>, <c>attention_norm</c>, …); a canonical
/// name maps to one HF name, or to three (query, key, value) that are stacked along dim 0 into our fused <c>qkv</c>.
/// </summary>
public static partial class HfNaming
{
    /// <summary>The HF names of one canonical parameter (1 name, or 3 stacked q/k/v parts).</summary>
    public static string[] External(string canonical, EncoderConfig config, ModelHeads heads)
    {
        var n = config.Names;
        string p = n.Prefix;
        var m = LayerName().Match(canonical);
        if (m.Success)
        {
            int k = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            string lp = p + string.Format(CultureInfo.InvariantCulture, n.Layer, k, k / config.InnerGroupNum, k % config.InnerGroupNum);
            string leaf = m.Groups[3].Value;
            string[] parts = m.Groups[2].Value switch
            {
                "attention.qkv" => n.Qkv,
                "attention.dense" => [n.AttentionOutput],
                "attention_norm" => [n.AttentionNorm],
                "ffn.up" => [n.FfnUp],
                "ffn.down" => [n.FfnDown],
                _ => [n.FfnNorm],
            };
            return [.. parts.Select(part => $"{lp}{part}.{leaf}")];
        }

        bool multi = heads == ModelHeads.MultiTask;
        string head = multi ? "chromatin_classifier" : "classifier";
        if (canonical == "mlm.decoder") return [n.Mlm + n.MlmDecoder];
        if (canonical == "mlm.bias") return [n.Mlm + n.MlmBias];
        int dot = canonical.LastIndexOf('.');
        string module = canonical[..dot], last = canonical[(dot + 1)..];
        string name = module switch
        {
            "encoder.embeddings.LayerNorm" => p + n.EmbeddingNorm,
            "encoder.embeddings.projection" => p + (n.EmbeddingProjection ?? throw Unnamed(canonical, config)),
            _ when module.StartsWith("encoder.embeddings.", StringComparison.Ordinal) => p + module["encoder.".Length..],
            "encoder.final_norm" => p + (n.FinalNorm ?? throw Unnamed(canonical, config)),
            "mlm.dense" => n.Mlm + n.MlmDense,
            "mlm.LayerNorm" => n.Mlm + n.MlmNorm,
            "sequence.pooler" => Expand(n.Pooler, p, head),
            "sequence.classifier" => Expand(n.SequenceClassifier, p, head),
            "token.classifier" => multi ? "region_classifier" : "classifier",
            _ => throw Unnamed(canonical, config),
        };
        return [name + "." + last];
    }

    /// <summary>
    /// Names a published checkpoint may hold that carry nothing our model needs, with the reason. They load and are
    /// kept aside (written back by export); anything else unknown is an error.
    /// </summary>
    public static string? IgnoreReason(string external, EncoderConfig config, ModelHeads heads)
    {
        var n = config.Names;
        if (external.EndsWith(".position_ids", StringComparison.Ordinal) || external.EndsWith(".token_type_ids", StringComparison.Ordinal))
            return "index buffer (older transformers saved it)";
        if (external.EndsWith(".rotary_embeddings.inv_freq", StringComparison.Ordinal))
            return "rotary frequency buffer (recomputed; values checked)";
        if (config.PositionEmbeddingType != PositionScheme.Absolute && external == n.Prefix + "embeddings.position_embeddings.weight")
            return $"position table unused by a {config.PositionEmbeddingType.ToString().ToLowerInvariant()} model (the family's code always allocates it)";
        foreach (var (prefix, reason) in n.StoredUnused)
            if (external.StartsWith(Expand(prefix, n.Prefix, "classifier"), StringComparison.Ordinal)) return reason;
        if (!heads.HasFlag(ModelHeads.Sequence) && external.StartsWith(n.Prefix + "pooler.", StringComparison.Ordinal))
            return "pooler (used only by the sequence-classification head)";
        if (heads.HasFlag(ModelHeads.MaskedLm) && config.TieWordEmbeddings && external == n.Mlm + n.MlmDecoder)
            return TiedDecoder;
        return null;
    }

    /// <summary>The reason given for a tied decoder weight: the one tensor that is dropped, not kept, since export writes the embeddings under its name.</summary>
    public const string TiedDecoder = "decoder tied to the input embeddings";

    /// <summary>The other name of the MLM output bias (HF keeps it under two names that share storage).</summary>
    public static string? Alias(string external, EncoderConfig config)
    {
        var n = config.Names;
        if (external == n.Mlm + n.MlmBias) return n.Mlm + n.MlmBiasAlias;
        if (external == n.Mlm + n.MlmBiasAlias) return n.Mlm + n.MlmBias;
        return null;
    }

    /// <summary>True for names that belong to a head rather than the encoder (for encoder-only loading).</summary>
    public static bool IsHead(string canonical) => !canonical.StartsWith("encoder.", StringComparison.Ordinal);

    public static string Prefix(CheckpointLayout layout) => LayoutNames.For(layout).Prefix;

    private static string Expand(string template, string prefix, string head) =>
        template.Replace("{p}", prefix, StringComparison.Ordinal).Replace("{0}", head, StringComparison.Ordinal);

    private static ArgumentException Unnamed(string canonical, EncoderConfig config) =>
        new($"the {config.Layout} checkpoint layout has no name for '{canonical}'");

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.(attention\.qkv|attention\.dense|attention_norm|ffn\.up|ffn\.down|ffn_norm)\.(weight|bias)$")]
    private static partial Regex LayerName();
}
