using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers.Bpe;

/// <summary>What a Hugging Face BPE tokenizer.json holds that DNA tokenization needs.</summary>
internal sealed record HfBpeModel(
    List<string> Tokens, List<(string Left, string Right)> Merges, List<string> SpecialTokens,
    string UnkToken, bool FuseUnk, bool IgnoreMerges, List<string> Prefix, List<string> Suffix);

/// <summary>
/// Reads and writes Hugging Face <c>tokenizer.json</c> files with a BPE model. Only what is meaningful for raw DNA is
/// accepted: no normalizer, a whitespace pre-tokenizer (a DNA sequence has no whitespace, so it is one word),
/// no subword prefix/suffix, no byte fallback or dropout. Anything else is refused with the key named, rather than
/// silently giving ids that differ from Hugging Face's.
/// </summary>
internal static class HfTokenizerJson
{
    private static readonly string[] WordPreTokenizers = ["Whitespace", "WhitespaceSplit", "BertPreTokenizer"];

    public static HfBpeModel Read(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("tokenizer file not found", path);
        var root = ConfigLoader.ParseJson(File.ReadAllText(path), path);
        if (root is not JsonObject obj || obj["model"] is not JsonObject model)
            throw new DnaInputException("not a Hugging Face tokenizer.json (no 'model' object)", path);
        try
        {
            return Read(obj, model, path);
        }
        catch (InvalidOperationException e)
        {
            // A JSON value of another kind where the format has a string, number, object or array (JsonNode's casts).
            throw new DnaInputException($"not shaped like a Hugging Face tokenizer.json: {e.Message}", path, inner: e);
        }
    }

    private static HfBpeModel Read(JsonObject obj, JsonObject model, string path)
    {
        var type = (string?)model["type"];
        if (type != "BPE") throw new DnaInputException($"model.type is '{type}'; only BPE tokenizer.json files are read (k-mer families use vocab.txt)", path);
        if (obj["normalizer"] is JsonNode norm)
            throw new DnaInputException($"normalizer '{(string?)norm["type"]}' is not supported for DNA (expected null)", path);
        if (obj["pre_tokenizer"] is JsonNode pre && !WordPreTokenizers.Contains((string?)pre["type"]))
            throw new DnaInputException($"pre_tokenizer '{(string?)pre["type"]}' is not supported for DNA (expected {string.Join(", ", WordPreTokenizers)} or null)", path);
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix", "dropout" })
            if (model[key] is JsonNode v && v.ToJsonString() != "\"\"")
                throw new DnaInputException($"model.{key} = {v.ToJsonString()} is not supported for DNA BPE (expected null)", path);
        if ((bool?)model["byte_fallback"] == true) throw new DnaInputException("model.byte_fallback = true is not supported for DNA BPE", path);

        if (model["vocab"] is not JsonObject vocabObj) throw new DnaInputException("model.vocab is missing", path);
        var byId = new SortedDictionary<int, string>();
        foreach (var (tok, idNode) in vocabObj)
            if (!byId.TryAdd(Id(idNode, $"model.vocab['{tok}']", path), tok)) throw new DnaInputException($"model.vocab: id {idNode} used twice", path);
        var added = new List<string>();
        if (obj["added_tokens"] is JsonArray addedArr)
            foreach (var a in addedArr)
            {
                int id = Id(a?["id"], "added_tokens[].id", path);
                var content = Text(a?["content"], "added_tokens[].content", path);
                if (byId.TryGetValue(id, out var existing) && existing != content)
                    throw new DnaInputException($"added_tokens: id {id} is '{content}' but model.vocab has '{existing}'", path);
                byId[id] = content;
                if ((bool?)a!["special"] == true) added.Add(content);
            }
        var tokens = new List<string>(byId.Count);
        foreach (var (id, tok) in byId)
        {
            if (id != tokens.Count) throw new DnaInputException($"vocabulary ids are not contiguous: id {tokens.Count} is missing", path);
            tokens.Add(tok);
        }

        var merges = new List<(string, string)>();
        if (model["merges"] is JsonArray mergeArr)
            foreach (var m in mergeArr)
            {
                if (m is JsonArray pair && pair.Count == 2) merges.Add((Text(pair[0], "model.merges[][0]", path), Text(pair[1], "model.merges[][1]", path)));
                else if (m is JsonValue sv && sv.TryGetValue<string>(out var str) && str.Split(' ') is [var l, var r]) merges.Add((l, r));
                else throw new DnaInputException($"model.merges[{merges.Count}] = {m?.ToJsonString()} is not a pair", path);
            }

        var (prefix, suffix) = ReadTemplate(obj["post_processor"], path);
        var unkToken = (string?)model["unk_token"] ?? throw new DnaInputException("model.unk_token is null; DNA BPE needs an unknown token for N", path);
        return new HfBpeModel(tokens, merges, added, unkToken, (bool?)model["fuse_unk"] ?? false, (bool?)model["ignore_merges"] ?? false, prefix, suffix);
    }

    /// <summary>A token id: an integer that fits an int (a float, a string or null is named, not cast).</summary>
    private static int Id(JsonNode? node, string what, string path) =>
        node is JsonValue v && v.TryGetValue<int>(out var id) ? id
            : throw new DnaInputException($"{what} = {node?.ToJsonString() ?? "null"} is not an integer id", path);

    private static string Text(JsonNode? node, string what, string path) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) ? text
            : throw new DnaInputException($"{what} = {node?.ToJsonString() ?? "null"} is not a string", path);

    private static (List<string> Prefix, List<string> Suffix) ReadTemplate(JsonNode? post, string path)
    {
        List<string> prefix = [], suffix = [];
        if (post is null) return (prefix, suffix);
        switch ((string?)post["type"])
        {
            case "TemplateProcessing":
                bool seen = false;
                foreach (var piece in (post["single"] ?? throw new DnaInputException("post_processor.single is missing", path)).AsArray())
                {
                    if (piece?["Sequence"] is not null) { seen = true; continue; }
                    var special = Text(piece?["SpecialToken"]?["id"], "post_processor.single[].SpecialToken.id", path);
                    var toks = post["special_tokens"]?[special]?["tokens"]?.AsArray().Select(t => Text(t, $"post_processor.special_tokens['{special}'].tokens[]", path)).ToList() ?? [special];
                    (seen ? suffix : prefix).AddRange(toks);
                }
                return (prefix, suffix);
            case "BertProcessing":
            case "RobertaProcessing":
                prefix.Add(Text(post["cls"]?[0], "post_processor.cls[0]", path));
                suffix.Add(Text(post["sep"]?[0], "post_processor.sep[0]", path));
                return (prefix, suffix);
            default:
                throw new DnaInputException($"post_processor '{(string?)post["type"]}' is not supported (expected TemplateProcessing, BertProcessing or null)", path);
        }
    }

    /// <summary>
    /// Writes a tokenizer.json in the shape of DNABERT-2's (Whitespace pre-tokenizer, [CLS] $A [SEP] template,
    /// merges as pairs), which Hugging Face's tokenizers load as is.
    /// </summary>
    public static void Write(string path, IReadOnlyList<string> tokens, IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyList<string> specials, string unkToken, IReadOnlyList<string> prefix, IReadOnlyList<string> suffix)
    {
        var ids = new Dictionary<string, int>();
        for (int i = 0; i < tokens.Count; i++) ids[tokens[i]] = i;
        var added = new JsonArray();
        foreach (var s in specials)
            added.Add(new JsonObject
            {
                ["id"] = ids[s], ["content"] = s, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        var single = new JsonArray();
        var pair = new JsonArray();
        var specialMap = new JsonObject();
        foreach (var p in prefix) { single.Add(Special(p, 0)); pair.Add(Special(p, 0)); }
        single.Add(Seq("A", 0)); pair.Add(Seq("A", 0));
        foreach (var s in suffix) { single.Add(Special(s, 0)); pair.Add(Special(s, 0)); }
        pair.Add(Seq("B", 1));
        foreach (var s in suffix) pair.Add(Special(s, 1));
        foreach (var t in prefix.Concat(suffix).Distinct())
            specialMap[t] = new JsonObject { ["id"] = t, ["ids"] = new JsonArray(ids[t]), ["tokens"] = new JsonArray(t) };
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Count; i++) vocab[tokens[i]] = i;
        var mergeArr = new JsonArray();
        foreach (var (l, r) in merges) mergeArr.Add(new JsonArray(l, r));

        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null, // padding is the caller's choice per batch
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "Whitespace" },
            ["post_processor"] = prefix.Count + suffix.Count == 0 ? null : new JsonObject
            {
                ["type"] = "TemplateProcessing", ["single"] = single, ["pair"] = pair, ["special_tokens"] = specialMap,
            },
            ["decoder"] = null,
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = unkToken, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = mergeArr,
            },
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        static JsonObject Special(string id, int typeId) => new() { ["SpecialToken"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
        static JsonObject Seq(string id, int typeId) => new() { ["Sequence"] = new JsonObject { ["id"] = id, ["type_id"] = typeId } };
    }
}
