using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// What a Hugging Face model directory says about its tokenizer besides the vocabulary: <c>tokenizer_config.json</c>
/// (<c>tokenizer_class</c>, <c>model_max_length</c> or transformers-2.x <c>max_len</c>, special tokens) and
/// <c>special_tokens_map.json</c> (the special tokens by role, which wins). Either file may be missing. A role set
/// to null (NT's <c>"eos_token": null</c>) means the tokenizer has none, which is not the same as not saying.
/// </summary>
public sealed record HfTokenizerSettings(string? TokenizerClass, int? ModelMaxLength, IReadOnlyDictionary<string, string?> SpecialTokens)
{
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensFile = "special_tokens_map.json";

    public static readonly string[] Roles = ["unk_token", "pad_token", "mask_token", "cls_token", "sep_token", "bos_token", "eos_token"];

    public static readonly HfTokenizerSettings None = new(null, null, new Dictionary<string, string?>());

    /// <summary>True when the file names <paramref name="role"/> (possibly as null).</summary>
    public bool Says(string role) => SpecialTokens.ContainsKey(role);

    /// <summary>The token for <paramref name="role"/>: the files' choice, else <paramref name="fallback"/>.</summary>
    public string? Token(string role, string? fallback) => SpecialTokens.TryGetValue(role, out var t) ? t : fallback;

    public static HfTokenizerSettings Read(string dir)
    {
        var config = ReadObject(Path.Combine(dir, ConfigFile));
        var map = ReadObject(Path.Combine(dir, SpecialTokensFile));
        var specials = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (source, obj) in new[] { (ConfigFile, config), (SpecialTokensFile, map) })
        {
            if (obj is null) continue;
            foreach (var role in Roles)
                if (obj.TryGetPropertyValue(role, out var node)) specials[role] = TokenText(node, role, Path.Combine(dir, source));
        }
        string? cls = config?["tokenizer_class"] is JsonValue c && c.TryGetValue<string>(out var s) ? s : null;
        return new HfTokenizerSettings(cls, MaxLength(config, Path.Combine(dir, ConfigFile)), specials);
    }

    /// <summary>
    /// Writes tokenizer_config.json and special_tokens_map.json for <paramref name="tokenizer"/> as its family's
    /// transformers class reads them (BertTokenizer for DNABERT k-mers, EsmTokenizer for NT, the fast tokenizer for
    /// BPE); a file already in <paramref name="dir"/> is left alone. Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> WriteFor(DnaTokenizer tokenizer, string dir)
    {
        var v = tokenizer.Vocabulary;
        var s = tokenizer.Special;
        var map = new JsonObject();
        void Role(string role, int? id) { if (id is int i) map[role] = v[i]; }
        Role("cls_token", s.Prefix.Length > 0 ? s.Prefix[0] : null);
        Role("sep_token", s.Suffix.Length > 0 && tokenizer is not NtKmerTokenizer ? s.Suffix[^1] : null);
        Role("eos_token", tokenizer is NtKmerTokenizer && s.Suffix.Length > 0 ? s.Suffix[^1] : null);
        Role("mask_token", s.Mask);
        Role("pad_token", s.Pad);
        Role("unk_token", s.Unk);
        var config = new JsonObject
        {
            ["tokenizer_class"] = tokenizer switch
            {
                NtKmerTokenizer => "EsmTokenizer",
                KmerTokenizer => "BertTokenizer",   // DNABERT's k-mers, given space-separated as its scripts do
                _ => "PreTrainedTokenizerFast",
            },
        };
        if (tokenizer is KmerTokenizer) config["do_lower_case"] = false;  // the k-mers are upper case
        if (tokenizer is NtKmerTokenizer && s.Suffix.Length == 0) config["eos_token"] = null;
        if (tokenizer.ModelMaxLength is int max) config["model_max_length"] = max;
        foreach (var (k, value) in map) config[k] = value?.DeepClone();
        var written = new List<string>();
        var options = new JsonSerializerOptions { WriteIndented = true };
        foreach (var (name, obj) in new[] { (ConfigFile, config), (SpecialTokensFile, map) })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) continue;
            AtomicFile.WriteAllText(path, obj.ToJsonString(options) + "\n");
            written.Add(path);
        }
        return written;
    }

    private static JsonObject? ReadObject(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new DnaInputException("not a JSON object", path);
        }
        catch (JsonException e)
        {
            throw new DnaInputException($"not valid JSON: {e.Message}", path, (e.LineNumber ?? 0) + 1);
        }
    }

    /// <summary>A special token written as a string, as an AddedToken object (<c>{"content": "[CLS]", …}</c>), or null.</summary>
    private static string? TokenText(JsonNode? node, string role, string path) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) => s,
        _ => throw new DnaInputException($"'{role}' is neither a token string, an object with 'content', nor null", path),
    };

    /// <summary>model_max_length (transformers ≥ 3) or max_len (2.x); transformers writes 1e30 for "no limit".</summary>
    private static int? MaxLength(JsonObject? config, string path)
    {
        foreach (var key in new[] { "model_max_length", "max_len" })
        {
            if (config?[key] is not JsonValue v) continue;
            if (!v.TryGetValue<double>(out var d) || d < 1) throw new DnaInputException($"'{key}' is not a positive number", path);
            return d >= int.MaxValue ? null : (int)d;
        }
        return null;
    }
}
