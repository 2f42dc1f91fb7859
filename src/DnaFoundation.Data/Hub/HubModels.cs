using System.Text.RegularExpressions;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Hub;

/// <summary>
/// Hub ids where a model is expected (<c>--model zhihan1996/DNABERT-2-117M</c>, optionally <c>@REVISION</c>): a
/// local path of that name wins; otherwise the id is resolved from the Hugging Face cache, and fetched when the cache
/// does not hold a loadable snapshot (unless HF_HUB_OFFLINE is set). Only what a model load needs is fetched:
/// config, tokenizer files and one weights format (<see cref="ModelFiles"/>).
/// </summary>
public static partial class HubModels
{
    /// <summary>ORG/NAME[@REVISION] with the Hub's allowed characters; anything that exists on disk is a path instead.</summary>
    public static bool TryParse(string spec, out string repo, out string revision)
    {
        var m = HubId().Match(spec);
        repo = m.Success ? m.Groups["repo"].Value : "";
        revision = m.Success && m.Groups["rev"].Success ? m.Groups["rev"].Value : "main";
        return m.Success && !repo.Contains("--", StringComparison.Ordinal) && !repo.Contains("..", StringComparison.Ordinal) && repo.Length <= 96;
    }

    /// <summary>True when <paramref name="spec"/> is taken as a Hub id: it parses as one and nothing of that name exists locally.</summary>
    public static bool IsHubId(string spec) => !Directory.Exists(spec) && !File.Exists(spec) && TryParse(spec, out _, out _);

    /// <summary>
    /// The local directory for <paramref name="spec"/>: itself when it is not a Hub id; else the cached snapshot,
    /// fetched first when missing or incomplete.
    /// </summary>
    public static async Task<string> ResolveAsync(string spec, HubClient hub, CancellationToken ct = default)
    {
        if (!IsHubId(spec)) return spec;
        TryParse(spec, out var repo, out var revision);
        var cached = hub.Cache.FindSnapshot(repo, revision);
        if (cached is not null && IsLoadable(cached)) return cached;
        try
        {
            var snapshot = await hub.FetchAsync(repo, revision, ModelFiles, ct).ConfigureAwait(false);
            if (!IsLoadable(snapshot.Dir))
                throw new DnaInputException($"{repo} at {revision} has no config.json with weights (model.safetensors, pytorch_model.bin or a sharded index) at its top level: not a model repository", snapshot.Dir);
            return snapshot.Dir;
        }
        catch (DnaInputException e)
        {
            throw new DnaInputException($"'{spec}' is not a local path, so it was taken as a Hugging Face Hub id: {e.Message}", inner: e);
        }
    }

    /// <summary>The files a model load uses: config, tokenizer files, and one weights format (safetensors first).</summary>
    public static IReadOnlyList<string> ModelFiles(IReadOnlyList<string> files)
    {
        var top = files.Where(f => !f.Contains('/', StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var wanted = new List<string>();
        foreach (var f in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt" })
            if (top.Contains(f)) wanted.Add(f);
        if (top.Contains("model.safetensors")) wanted.Add("model.safetensors");
        else if (top.Contains("model.safetensors.index.json"))
            wanted.AddRange(["model.safetensors.index.json", .. top.Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]);
        else if (top.Contains("pytorch_model.bin")) wanted.Add("pytorch_model.bin");
        else if (top.Contains("pytorch_model.bin.index.json"))
            wanted.AddRange(["pytorch_model.bin.index.json", .. top.Where(f => f.StartsWith("pytorch_model-", StringComparison.Ordinal) && f.EndsWith(".bin", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]);
        return wanted;
    }

    /// <summary>Files matching any of <paramref name="patterns"/> (fnmatch as huggingface_hub's allow_patterns: * crosses '/'; "dir/" means "dir/*").</summary>
    public static IReadOnlyList<string> Matching(IReadOnlyList<string> files, IReadOnlyList<string> patterns)
    {
        var regexes = patterns.Select(p => new Regex("^" + GlobToRegex(p.EndsWith('/') ? p + "*" : p) + "$", RegexOptions.CultureInvariant)).ToList();
        return [.. files.Where(f => regexes.Any(r => r.IsMatch(f)))];
    }

    /// <summary>config.json and weights a load can open: a single file, or an index whose shards are all there.</summary>
    public static bool IsLoadable(string dir)
    {
        if (!File.Exists(Path.Combine(dir, "config.json"))) return false;
        if (File.Exists(Path.Combine(dir, "model.safetensors")) || File.Exists(Path.Combine(dir, "pytorch_model.bin"))) return true;
        foreach (var index in new[] { "model.safetensors.index.json", "pytorch_model.bin.index.json" })
        {
            var path = Path.Combine(dir, index);
            if (!File.Exists(path)) continue;
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
                return doc.RootElement.GetProperty("weight_map").EnumerateObject().All(p => File.Exists(Path.Combine(dir, p.Value.GetString() ?? "")));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
                return false;
            }
        }
        return false;
    }

    private static string GlobToRegex(string glob)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*': sb.Append(".*"); break;
                case '?': sb.Append('.'); break;
                case '[':
                    int end = glob.IndexOf(']', i + 1);
                    if (end < 0) { sb.Append(@"\["); break; }
                    var set = glob[(i + 1)..end];
                    sb.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^(?<repo>[A-Za-z0-9][\w.\-]*/[\w.\-]*[A-Za-z0-9_])(@(?<rev>[\w.\-/]+))?$")]
    private static partial Regex HubId();
}
