using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Writes a model in its family's published Hugging Face layout, so PyTorch users load what was trained here with
/// the family's own code: the family's config keys (the published config.json kept verbatim in
/// <see cref="EncoderConfig.Published"/>, with our current values for the keys we model; for a model trained here,
/// the family's template, remote-code families pointing at the original repository's code), its key names (a bare
/// encoder without the base-model prefix, as <c>BertModel.save_pretrained</c> writes it), the aliases its
/// <c>torch.save</c> writes (the tied decoder, the bias's second name), the tensors it stores unused
/// (<see cref="DnaModel.StoredExtras"/>), and the stored dtype of <c>torch_dtype</c>. Weights go to
/// <c>model.safetensors</c>, which transformers reads for every family.
/// </summary>
public static class HfExport
{
    /// <summary>What <see cref="Write"/> wrote.</summary>
    public sealed record Result(string ConfigPath, string WeightsPath, int Tensors, PublishedFamily Family);

    /// <param name="labelNames">The classes or labels by index (a fine-tuned model's task.json), written as
    /// <c>id2label</c>/<c>label2id</c> so that transformers names them; null keeps the config's own (or LABEL_i).</param>
    public static Result Write(DnaModel model, string outDir, IReadOnlyList<string>? labelNames = null)
    {
        Directory.CreateDirectory(outDir);
        var family = FamilyOf(model.Config);
        var config = Config(model.Config, model.Heads, family, labelNames);
        var dtype = StoredDtype(config);
        var tensors = Tensors(model).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var weights = Path.Combine(outDir, ModelDirectory.WeightsFile);
        Safetensors.Save(weights, [.. tensors.Select(t => (t.Key, new TensorMeta(Cast(t.Value.dtype, dtype), t.Value.shape)))],
            name => tensors[name].detach().cpu().to(Cast(tensors[name].dtype, dtype)), disposeRead: true);
        var configPath = Path.Combine(outDir, ModelDirectory.ConfigFile);
        Core.AtomicFile.WriteAllText(configPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return new Result(configPath, weights, tensors.Count, family);
    }

    /// <summary>The published family a config belongs to: where it was read from, else what its layout and fields say.</summary>
    public static PublishedFamily FamilyOf(EncoderConfig c) => c.Published?.Family ?? c.Layout switch
    {
        CheckpointLayout.MosaicBert => PublishedFamily.Dnabert2,
        CheckpointLayout.BertPreLn => PublishedFamily.GenaLm,
        CheckpointLayout.Esm => c.FeedForward == FeedForwardKind.Swiglu ? PublishedFamily.NtV2 : PublishedFamily.NtV1,
        CheckpointLayout.Albert => PublishedFamily.Albert,
        _ => c.MlmBiasAddedTwice ? PublishedFamily.Dnabert : PublishedFamily.Bert,
    };

    /// <summary>The tensors under the family's file names: parameters, aliases the family's torch.save writes, stored extras.</summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> Tensors(DnaModel model)
    {
        var c = model.Config;
        var n = c.Names;
        var all = new List<KeyValuePair<string, Tensor>>(ModelDirectory.ExternalTensors(model));
        if (model.Heads.HasFlag(ModelHeads.MaskedLm))
        {
            if (c.TieWordEmbeddings) all.Add(new(n.Mlm + n.MlmDecoder, model.Encoder.Embeddings.WordEmbeddings.weight!));
            if (n.WritesMlmBiasAlias && all.FirstOrDefault(kv => kv.Key == n.Mlm + n.MlmBias).Value is { } bias) all.Add(new(n.Mlm + n.MlmBiasAlias, bias));
        }
        all.AddRange(model.StoredExtras);
        // A bare encoder is saved as the base model itself (BertModel.save_pretrained): no prefix.
        return model.Heads == ModelHeads.None
            ? all.Select(kv => new KeyValuePair<string, Tensor>(kv.Key.StartsWith(n.Prefix, StringComparison.Ordinal) ? kv.Key[n.Prefix.Length..] : kv.Key, kv.Value))
            : all;
    }

    /// <summary>The family's config.json for this architecture and head set (label names as in <see cref="Write"/>).</summary>
    public static JsonObject Config(EncoderConfig c, ModelHeads heads, PublishedFamily family, IReadOnlyList<string>? labelNames = null)
    {
        var values = FamilyKeys(c, family);
        var architecture = ModelFactory.ArchitectureFor(c, heads);
        JsonObject result;
        if (c.Published is { } published)
        {
            result = (JsonObject)published.Config.DeepClone();
            foreach (var (key, value) in values)
            {
                if (!result.ContainsKey(key)) continue;
                if (!SameValue(result[key], value)) result[key] = value?.DeepClone();
            }
            // The published class list stays when the heads are the ones it names first (NT-v2 lists three classes).
            var first = (result["architectures"] as JsonArray)?.FirstOrDefault()?.ToString();
            if (first is null || ModelFactory.HeadsFor(first) != heads) result["architectures"] = new JsonArray(architecture);
        }
        else
        {
            result = Template(family, architecture);
            foreach (var (key, value) in values) result[key] = value?.DeepClone();
        }
        foreach (var (key, value) in LabelKeys(WithLabelNames(c, labelNames)))
            if (!SameValue(result[key], value) && (value is not null || result.ContainsKey(key))) result[key] = value?.DeepClone();
        return result;
    }

    /// <summary>The HF keys of the family and our value for each, in the family's spelling.</summary>
    private static List<(string Key, JsonNode? Value)> FamilyKeys(EncoderConfig c, PublishedFamily family)
    {
        var keys = new List<(string, JsonNode?)>
        {
            ("vocab_size", c.VocabSize), ("hidden_size", c.HiddenSize), ("num_hidden_layers", c.NumHiddenLayers),
            ("num_attention_heads", c.NumAttentionHeads), ("intermediate_size", c.IntermediateSize),
            ("hidden_dropout_prob", c.HiddenDropoutProb), ("attention_probs_dropout_prob", c.AttentionProbsDropoutProb),
            ("max_position_embeddings", c.MaxPositionEmbeddings), ("layer_norm_eps", c.LayerNormEps),
            ("initializer_range", c.InitializerRange), ("pad_token_id", c.PadTokenId),
        };
        switch (family)
        {
            case PublishedFamily.Bert or PublishedFamily.Dnabert or PublishedFamily.GenaLm:
                keys.AddRange([("hidden_act", c.HiddenAct), ("type_vocab_size", c.TypeVocabSize), ("position_embedding_type", "absolute")]);
                if (family == PublishedFamily.GenaLm) keys.AddRange([("pre_layer_norm", true), ("last_layer_norm", c.HasFinalLayerNorm)]);
                break;
            case PublishedFamily.Dnabert2:
                // DNABERT-2's configs say "absolute" although the model is ALiBi: its remote code ignores the key.
                keys.AddRange([("hidden_act", c.HiddenAct), ("type_vocab_size", c.TypeVocabSize), ("alibi_starting_size", c.AlibiStartingSize ?? 512),
                    ("position_embedding_type", "absolute")]);
                break;
            case PublishedFamily.NtV1 or PublishedFamily.NtV2:
                keys.AddRange([("mask_token_id", c.MaskTokenId), ("position_embedding_type", Kebab(c.PositionEmbeddingType)),
                    ("emb_layer_norm_before", c.EmbLayerNormBefore), ("token_dropout", c.TokenDropout), ("tie_word_embeddings", c.TieWordEmbeddings)]);
                if (family == PublishedFamily.NtV2) keys.Add(("add_bias_fnn", c.FeedForwardBias));
                break;
            case PublishedFamily.Albert:
                keys.AddRange([("hidden_act", c.HiddenAct), ("type_vocab_size", c.TypeVocabSize), ("embedding_size", c.EmbeddingWidth),
                    ("num_hidden_groups", c.HiddenGroups), ("inner_group_num", c.InnerGroupNum)]);
                break;
        }
        return keys;
    }

    private static EncoderConfig WithLabelNames(EncoderConfig c, IReadOnlyList<string>? names)
    {
        if (names is null) return c;
        if (names.Count != c.LabelCount)
            throw new DnaInputException($"{names.Count} label name(s) for a head with {c.LabelCount} output(s)");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new DnaInputException($"label names repeat ({string.Join(", ", names)}): transformers' label2id needs each once");
        return c with
        {
            Id2label = names.Select((n, i) => (n, i)).ToDictionary(x => x.i.ToString(CultureInfo.InvariantCulture), x => x.n),
            Label2id = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i),
        };
    }

    private static IEnumerable<(string Key, JsonNode? Value)> LabelKeys(EncoderConfig c)
    {
        if (c.Id2label is { } id2label) yield return ("id2label", JsonSerializer.SerializeToNode(id2label));
        if (c.Label2id is { } label2id) yield return ("label2id", JsonSerializer.SerializeToNode(label2id));
        if (c.NumLabels is int labels && c.Id2label is null)
        {
            var names = Enumerable.Range(0, labels).ToDictionary(i => i.ToString(CultureInfo.InvariantCulture), i => $"LABEL_{i}");
            yield return ("id2label", JsonSerializer.SerializeToNode(names));
            yield return ("label2id", JsonSerializer.SerializeToNode(names.ToDictionary(kv => kv.Value, kv => int.Parse(kv.Key, CultureInfo.InvariantCulture))));
        }
        if (c.ProblemType is { } problem) yield return ("problem_type", problem);
        if (c.ClassifierDropout is double dropout) yield return ("classifier_dropout", dropout);
    }

    /// <summary>A config for a model trained here: the family's fixed keys; remote-code families name the original repository's code.</summary>
    private static JsonObject Template(PublishedFamily family, string architecture)
    {
        var o = new JsonObject { ["architectures"] = new JsonArray(architecture) };
        switch (family)
        {
            case PublishedFamily.Dnabert2:
                o["model_type"] = "bert";
                o["auto_map"] = RemoteCode("zhihan1996/DNABERT-2-117M", "configuration_bert.BertConfig",
                    ("AutoModel", "bert_layers.BertModel"), ("AutoModelForMaskedLM", "bert_layers.BertForMaskedLM"),
                    ("AutoModelForSequenceClassification", "bert_layers.BertForSequenceClassification"));
                break;
            case PublishedFamily.NtV2:
                // NT-v2's configs have no model_type: transformers finds the class through auto_map only.
                o["auto_map"] = RemoteCode("InstaDeepAI/nucleotide-transformer-v2-50m-multi-species", "esm_config.EsmConfig",
                    ("AutoModelForMaskedLM", "modeling_esm.EsmForMaskedLM"), ("AutoModelForSequenceClassification", "modeling_esm.EsmForSequenceClassification"),
                    ("AutoModelForTokenClassification", "modeling_esm.EsmForTokenClassification"));
                break;
            case PublishedFamily.GenaLm:
                o["model_type"] = "bert";
                o["auto_map"] = RemoteCode("AIRI-Institute/gena-lm-bert-base", null, ("AutoModel", "modeling_bert.BertModel"),
                    ("AutoModelForMaskedLM", "modeling_bert.BertForMaskedLM"), ("AutoModelForSequenceClassification", "modeling_bert.BertForSequenceClassification"));
                break;
            case PublishedFamily.NtV1:
                o["model_type"] = "esm";
                break;
            case PublishedFamily.Albert:
                o["model_type"] = "albert";
                break;
            default:
                o["model_type"] = "bert";
                break;
        }
        o["torch_dtype"] = "float32";
        return o;
    }

    /// <summary>auto_map entries of the form REPO--module.Class: transformers loads the family's code from the original repository.</summary>
    private static JsonObject RemoteCode(string repo, string? config, params (string Auto, string Class)[] classes)
    {
        var map = new JsonObject();
        if (config is not null) map["AutoConfig"] = $"{repo}--{config}";
        foreach (var (auto, cls) in classes) map[auto] = $"{repo}--{cls}";
        return map;
    }

    private static ScalarType? StoredDtype(JsonObject config) => (config["torch_dtype"] ?? config["dtype"])?.ToString() switch
    {
        "float16" => ScalarType.Float16,
        "bfloat16" => ScalarType.BFloat16,
        _ => null,
    };

    /// <summary>Floating tensors go back to the stored dtype (a float16 checkpoint is loaded as float32); integers stay.</summary>
    private static ScalarType Cast(ScalarType t, ScalarType? stored) =>
        stored is { } s && t is ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64 ? s : t;

    private static bool SameValue(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is JsonValue va && b is JsonValue vb && va.TryGetValue<double>(out var da) && vb.TryGetValue<double>(out var db)) return da == db;
        return JsonNode.DeepEquals(a, b);
    }

    private static string Kebab(Enum e) => JsonNamingPolicy.KebabCaseLower.ConvertName(e.ToString());
}
