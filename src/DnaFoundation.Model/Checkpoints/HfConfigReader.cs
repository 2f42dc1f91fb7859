using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Reads a <c>config.json</c> — ours, or one published with a Hugging Face checkpoint — into an
/// <see cref="EncoderConfig"/>. Our own configs are strict. A published config is read the way transformers reads
/// it: the family is recognised from what the file really says (DNABERT-2 writes <c>model_type: bert</c> and
/// <c>position_embedding_type: absolute</c> but its remote code, <c>auto_map → bert_layers</c>, is ALiBi + GEGLU;
/// NT-v2 has no <c>model_type</c>, only <c>architectures: EsmFor…</c> and <c>auto_map → modeling_esm</c>, whose code is
/// pre-LN SwiGLU; DNABERT's transformers-2.5 fork writes <c>rnn*</c>/<c>split</c>; GENA-LM's fork writes
/// <c>pre_layer_norm</c>). What the family's code does that the config does not say is written into our explicit
/// keys. Keys transformers itself writes (serialisation and generation keys of every version, fork keys) are
/// ignored (<see cref="IgnoredKeys"/> lists them); a key that would change the architecture in a way we do not
/// implement, or one we do not know at all, is an error naming it. The published file is kept verbatim in
/// <see cref="EncoderConfig.Published"/> for <c>model export</c>.
/// </summary>
public static class HfConfigReader
{
    /// <summary>Keys transformers writes (any version, incl. 2.x) that carry no architecture, and fork keys of published families.</summary>
    private static readonly HashSet<string> TransformersKeys = new(StringComparer.Ordinal)
    {
        // serialisation and runtime switches
        "_name_or_path", "_commit_hash", "_attn_implementation", "_attn_implementation_autoset", "_from_model_config",
        "transformers_version", "torch_dtype", "dtype", "use_bfloat16", "use_cache", "gradient_checkpointing", "auto_map",
        "custom_pipelines", "output_past", "output_hidden_states", "output_attentions", "output_scores", "return_dict",
        "return_dict_in_generate", "use_return_dict", "torchscript", "tf_legacy_loss", "chunk_size_feed_forward",
        "finetuning_task", "tokenizer_class", "prefix", "task_specific_params", "tie_encoder_decoder",
        "cross_attention_hidden_size", "model_max_length",
        // special-token ids used by generation and tokenizers, not by an encoder
        "bos_token_id", "eos_token_id", "eos_token_ids", "sep_token_id", "cls_token_id", "unk_token_id",
        "decoder_start_token_id", "forced_bos_token_id", "forced_eos_token_id",
        // generation defaults (transformers < 4.30 wrote them into every config)
        "max_length", "min_length", "do_sample", "early_stopping", "num_beams", "num_beam_groups", "diversity_penalty",
        "temperature", "top_k", "top_p", "typical_p", "epsilon_cutoff", "eta_cutoff", "repetition_penalty",
        "length_penalty", "no_repeat_ngram_size", "encoder_no_repeat_ngram_size", "bad_words_ids",
        "num_return_sequences", "remove_invalid_values", "exponential_decay_length_penalty", "suppress_tokens",
        "begin_suppress_tokens",
        // original TF-BERT / tokenizer hints
        "directionality", "pooler_fc_size", "pooler_num_attention_heads", "pooler_num_fc_layers", "pooler_size_per_head",
        "pooler_type", "token_type",
        // DNABERT's transformers-2.5 fork: the long-sequence classifier's RNN and split (unused by BertFor{MaskedLM,SequenceClassification})
        "num_rnn_layer", "rnn", "rnn_dropout", "rnn_hidden", "split",
        // ESM: protein vocabulary list; DNABERT-2's kernel switch
        "vocab_list", "flash_attn", "fused_bias_fc",
    };

    /// <summary>Keys transformers writes that change the architecture unless they hold this neutral value.</summary>
    private static readonly (string Key, string Neutral, string Meaning)[] NeutralOnly =
    [
        ("is_decoder", "false", "a causal decoder"),
        ("add_cross_attention", "false", "cross-attention layers"),
        ("is_encoder_decoder", "false", "an encoder-decoder model"),
        ("pruned_heads", "{}", "pruned attention heads (per-layer head counts differ)"),
        ("esmfold_config", "null", "an ESMFold protein-folding model"),
        ("is_folding_model", "false", "an ESMFold protein-folding model"),
        ("net_structure_type", "0", "a TF-ALBERT structure variant"),
        ("gap_size", "0", "a TF-ALBERT structure variant"),
        ("num_memory_blocks", "0", "a TF-ALBERT structure variant"),
        ("down_scale_factor", "1", "a TF-ALBERT structure variant"),
    ];

    /// <summary>Keys of ours that a published config never has: their presence marks a config we wrote.</summary>
    private static readonly string[] OurKeys = ["feed_forward", "layer_norm_placement"];

    public static EncoderConfig Read(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new DnaInputException("config.json not found", path);
        var node = ConfigLoader.ParseJson(File.ReadAllText(path), path);
        if (node is not JsonObject obj) throw new DnaInputException("a model config must be a JSON object", path);
        Normalize(obj, path);
        return ConfigLoader.Bind<EncoderConfig>(obj, path, overrides);
    }

    /// <summary>True when <paramref name="obj"/> is a config this tool wrote (strict keys), not a published one.</summary>
    public static bool IsOurs(JsonObject obj) => OurKeys.Any(obj.ContainsKey);

    /// <summary>The keys of a published config that were ignored (transformers bookkeeping, generation, fork keys), in file order.</summary>
    public static IReadOnlyList<string> IgnoredKeys(JsonObject published) =>
        [.. published.Select(kv => kv.Key).Where(k => TransformersKeys.Contains(k) || NeutralOnly.Any(n => n.Key == k))];

    /// <summary>Rewrites a published config in place into our keys (configs we wrote are left as they are: strict).</summary>
    public static void Normalize(JsonObject obj, string source)
    {
        if (IsOurs(obj)) return;
        var original = (JsonObject)obj.DeepClone();
        var family = Recognise(obj, source);

        foreach (var (key, neutral, meaning) in NeutralOnly)
        {
            if (obj[key] is JsonNode v && !JsonNode.DeepEquals(v, JsonNode.Parse(neutral)))
                throw new DnaInputException($"key '{key}': {v.ToJsonString()} makes this {meaning}, which is not implemented (only {neutral})", source);
        }
        if (obj["position_embedding_type"]?.ToString() is "relative_key" or "relative_key_query")
            throw new DnaInputException($"key 'position_embedding_type': '{obj["position_embedding_type"]}' (relative position scores) is not implemented (absolute, alibi, rotary)", source);

        ApplyFamily(obj, family);
        Rename(obj, "add_bias_fnn", "feed_forward_bias");
        Rename(obj, "classifier_dropout_prob", "classifier_dropout");           // ALBERT's spelling
        obj.Remove("pre_layer_norm");
        obj.Remove("last_layer_norm");
        foreach (var key in obj.Select(kv => kv.Key).Where(k => TransformersKeys.Contains(k) || NeutralOnly.Any(n => n.Key == k)).ToList())
            obj.Remove(key);
        foreach (var (key, _) in obj)
            if (!EncoderKeys.Contains(key))
                throw new DnaInputException($"key '{key}' is neither one transformers writes nor one this tool implements; if it changes the architecture this checkpoint cannot be loaded here, if it does not, remove it", source);
        obj["published"] = new JsonObject { ["family"] = JsonNamingPolicy.KebabCaseLower.ConvertName(family.ToString()), ["config"] = original };
    }

    private static readonly HashSet<string> EncoderKeys = typeof(EncoderConfig).GetProperties()
        .Where(p => p.CanWrite).Select(p => ConfigLoader.Options.PropertyNamingPolicy!.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The family, from what the file says: remote-code class paths and fork keys first, model_type last.</summary>
    private static PublishedFamily Recognise(JsonObject obj, string source)
    {
        var autoMap = obj["auto_map"]?.ToJsonString() ?? "";
        var architectures = (obj["architectures"] as JsonArray)?.Select(a => a?.ToString() ?? "").ToArray() ?? [];
        string? modelType = obj["model_type"] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            var other => throw new DnaInputException($"key 'model_type': {other.ToJsonString()} is not a string", source),
        };
        modelType ??= architectures.Any(a => a.StartsWith("Esm", StringComparison.Ordinal)) || autoMap.Contains("modeling_esm", StringComparison.Ordinal) ? "esm"
            : architectures.Any(a => a.StartsWith("Albert", StringComparison.Ordinal)) ? "albert"
            : architectures.Any(a => a.StartsWith("Bert", StringComparison.Ordinal)) ? "bert"
            : throw new DnaInputException("config has no model_type and no architectures this tool recognises (Bert*, Esm*, Albert*)", source);
        return modelType switch
        {
            "bert" when autoMap.Contains("bert_layers", StringComparison.Ordinal) || obj.ContainsKey("alibi_starting_size") => PublishedFamily.Dnabert2,
            "bert" when obj["pre_layer_norm"] is JsonNode pre && pre.GetValueKind() == JsonValueKind.True => PublishedFamily.GenaLm,
            "bert" when obj.ContainsKey("rnn") || obj.ContainsKey("num_rnn_layer") || obj.ContainsKey("split") => PublishedFamily.Dnabert,
            "bert" => PublishedFamily.Bert,
            "esm" when autoMap.Contains("modeling_esm", StringComparison.Ordinal) || obj.ContainsKey("add_bias_fnn") => PublishedFamily.NtV2,
            "esm" => PublishedFamily.NtV1,
            "albert" => PublishedFamily.Albert,
            _ => throw new DnaInputException($"key 'model_type': '{modelType}' is not supported (bert, esm, albert)", source),
        };
    }

    /// <summary>What each family's modeling code does that its config does not say, written into our explicit keys.</summary>
    private static void ApplyFamily(JsonObject obj, PublishedFamily family)
    {
        void Set(string key, JsonNode? value) => obj[key] = value;
        void Default(string key, JsonNode? value) { if (obj[key] is null) obj[key] = value; }
        switch (family)
        {
            case PublishedFamily.Bert or PublishedFamily.Dnabert:
                Set("model_type", "bert");
                Set("checkpoint_layout", "bert");
                Set("layer_norm_placement", "post");
                Set("feed_forward", "gelu");
                Set("mlm_bias_added_twice", family == PublishedFamily.Dnabert);   // transformers 2.5's BertLMPredictionHead
                if (obj["last_layer_norm"] is JsonNode last) Set("final_layer_norm", last.DeepClone());   // GENA's fork without pre_layer_norm
                break;
            case PublishedFamily.GenaLm:
                Set("checkpoint_layout", "bert-pre-ln");
                Set("layer_norm_placement", "pre");
                Set("feed_forward", "gelu");
                // GENA's BertEncoder: last_layer_norm defaults to pre_layer_norm (gena-lm-bert-base says false).
                Set("final_layer_norm", obj["last_layer_norm"]?.DeepClone() ?? true);
                break;
            case PublishedFamily.Dnabert2:
                // MosaicBERT remote code: ALiBi, GEGLU (exact GELU) with a bias-free gate, post-LN, no position table.
                Set("checkpoint_layout", "mosaic-bert");
                Set("position_embedding_type", "alibi");
                Set("layer_norm_placement", "post");
                Set("feed_forward", "geglu");
                Set("feed_forward_gate_bias", false);
                break;
            case PublishedFamily.NtV1 or PublishedFamily.NtV2:
                Set("model_type", "esm");
                Set("checkpoint_layout", "esm");
                Set("layer_norm_placement", "pre");
                // NT-v2's own modeling_esm is always SwiGLU; stock HF ESM (NT-v1) is an ungated exact-GELU MLP.
                Set("feed_forward", family == PublishedFamily.NtV2 ? "swiglu" : "gelu");
                Set("hidden_act", "gelu");
                Set("mlm_activation", "gelu");
                Set("position_ids", "after-padding");
                Set("final_layer_norm", true);
                Default("emb_layer_norm_before", false);
                Default("position_embedding_type", "absolute");
                Default("type_vocab_size", 0);   // ESM has no token types
                Default("tie_word_embeddings", true);
                break;
            case PublishedFamily.Albert:
                Set("checkpoint_layout", "albert");
                Set("layer_norm_placement", "post");
                Set("feed_forward", "gelu");
                Default("hidden_act", "gelu_new");  // HF AlbertConfig default
                break;
        }
    }

    private static void Rename(JsonObject obj, string from, string to)
    {
        if (!obj.ContainsKey(from)) return;
        var v = obj[from];
        obj.Remove(from);
        obj[to] = v?.DeepClone();
    }
}
