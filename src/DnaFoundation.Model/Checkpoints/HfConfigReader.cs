using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Reads a <c>config.json</c> — ours, or one published with a Hugging Face checkpoint — into an
/// <see cref="EncoderConfig"/>. Published configs are recognised as they are actually written:
/// DNABERT-2 says <c>model_type: bert</c> and <c>position_embedding_type: absolute</c> but its remote code
/// (<c>auto_map → bert_layers</c>) is ALiBi + GEGLU; NT-v2 has no <c>model_type</c> at all, only
/// <c>architectures: EsmFor…</c> and <c>auto_map → modeling_esm</c>, whose code is pre-LN SwiGLU.
/// Bookkeeping keys transformers writes are dropped; any other unknown key is an error naming it.
/// </summary>
public static class HfConfigReader
{
    /// <summary>Keys that carry no architecture (transformers bookkeeping, tokenizer hints, generation defaults).</summary>
    private static readonly HashSet<string> Bookkeeping = new(StringComparer.Ordinal)
    {
        "_name_or_path", "transformers_version", "torch_dtype", "use_cache", "gradient_checkpointing", "auto_map",
        "bos_token_id", "eos_token_id", "sep_token_id", "cls_token_id", "unk_token_id", "output_past", "is_decoder",
        "add_cross_attention", "chunk_size_feed_forward", "finetuning_task", "tokenizer_class", "prefix", "return_dict",
        "output_hidden_states", "output_attentions", "torchscript", "pruned_heads", "tie_encoder_decoder",
        "is_encoder_decoder", "directionality", "pooler_fc_size", "pooler_num_attention_heads", "pooler_num_fc_layers",
        "pooler_size_per_head", "pooler_type", "token_type", "vocab_list", "flash_attn", "fused_bias_fc",
        "dtype", "model_max_length",
    };

    public static EncoderConfig Read(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new DnaInputException("config.json not found", path);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new DnaInputException($"not valid JSON: {e.Message}", path, (e.LineNumber ?? 0) + 1);
        }
        if (node is not JsonObject obj) throw new DnaInputException("a model config must be a JSON object", path);
        Normalize(obj, path);
        return ConfigLoader.Bind<EncoderConfig>(obj, path, overrides);
    }

    /// <summary>Rewrites a published config in place into our keys (idempotent for configs we wrote).</summary>
    public static void Normalize(JsonObject obj, string source)
    {
        var autoMap = obj["auto_map"]?.ToJsonString() ?? "";
        var architectures = (obj["architectures"] as JsonArray)?.Select(a => a?.ToString() ?? "").ToArray() ?? [];
        string? modelType = obj["model_type"]?.GetValue<string>();

        if (modelType is null)
        {
            if (architectures.Any(a => a.StartsWith("Esm", StringComparison.Ordinal)) || autoMap.Contains("modeling_esm", StringComparison.Ordinal))
                modelType = "esm";
            else if (architectures.Any(a => a.StartsWith("Albert", StringComparison.Ordinal)))
                modelType = "albert";
            else if (architectures.Any(a => a.StartsWith("Bert", StringComparison.Ordinal)))
                modelType = "bert";
            else
                throw new DnaInputException("config has no model_type and no architectures this tool recognises (Bert*, Esm*, Albert*)", source);
            obj["model_type"] = modelType;
        }

        bool ours = obj.ContainsKey("feed_forward") || obj.ContainsKey("layer_norm_placement");
        switch (modelType)
        {
            case "bert" when !ours && (autoMap.Contains("bert_layers", StringComparison.Ordinal) || obj.ContainsKey("alibi_starting_size")):
                // DNABERT-2 / MosaicBERT remote code: ALiBi, GEGLU, post-LN, no position table (whatever the config says).
                obj["position_embedding_type"] = "alibi";
                obj["feed_forward"] = "geglu";
                break;
            case "esm" when !ours:
                obj["layer_norm_placement"] = "pre";
                // NT-v2's own modeling_esm is always SwiGLU; stock HF ESM (NT-v1) is an ungated GELU MLP.
                bool ntRemote = autoMap.Contains("modeling_esm", StringComparison.Ordinal) || obj.ContainsKey("add_bias_fnn");
                obj["feed_forward"] = ntRemote ? "swiglu" : "gelu";
                if (obj["emb_layer_norm_before"] is null) obj["emb_layer_norm_before"] = false;
                if (obj["type_vocab_size"] is null) obj["type_vocab_size"] = 0;   // ESM has no token types
                if (obj["tie_word_embeddings"] is null) obj["tie_word_embeddings"] = true;
                break;
            case "albert" when !ours:
                if (obj["hidden_act"] is null) obj["hidden_act"] = "gelu_new";  // HF AlbertConfig default
                break;
        }
        Rename(obj, "add_bias_fnn", "feed_forward_bias");
        Rename(obj, "classifier_dropout_prob", "classifier_dropout");           // ALBERT's spelling

        if (obj["esmfold_config"] is JsonNode fold && fold.GetValueKind() != JsonValueKind.Null)
            throw new DnaInputException("key 'esmfold_config': ESMFold checkpoints are not DNA encoders", source);
        obj.Remove("esmfold_config");
        if (obj["is_folding_model"] is JsonNode folding && folding.GetValueKind() == JsonValueKind.True)
            throw new DnaInputException("key 'is_folding_model': ESMFold checkpoints are not DNA encoders", source);
        obj.Remove("is_folding_model");
        if (obj["position_embedding_type"]?.ToString() is "relative_key" or "relative_key_query")
            throw new DnaInputException($"key 'position_embedding_type': '{obj["position_embedding_type"]}' is not supported (absolute, alibi, rotary)", source);
        // TF-ALBERT keys that only take their default value in released models.
        foreach (var (key, neutral) in new[] { ("net_structure_type", 0), ("gap_size", 0), ("num_memory_blocks", 0), ("down_scale_factor", 1) })
        {
            if (obj[key] is JsonNode v && v.GetValue<int>() != neutral)
                throw new DnaInputException($"key '{key}': {v} is not supported (only {neutral})", source);
            obj.Remove(key);
        }
        foreach (var key in obj.Select(kv => kv.Key).Where(k => Bookkeeping.Contains(k) || k.StartsWith('_')).ToList())
            obj.Remove(key);
    }

    private static void Rename(JsonObject obj, string from, string to)
    {
        if (!obj.ContainsKey(from)) return;
        var v = obj[from];
        obj.Remove(from);
        obj[to] = v?.DeepClone();
    }
}
