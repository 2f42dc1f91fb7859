using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>
/// The per-task settings table (configs/eval/gue-pinned.json, embedded in this assembly): defaults plus entries whose
/// "match" is a task folder or a "group/*" pattern. The most specific match wins (an exact name over a pattern).
/// </summary>
public sealed class GuePinnedSettings
{
    private readonly JsonObject defaults;
    private readonly List<(string Match, JsonObject Fields)> entries;

    public string Source { get; }

    private GuePinnedSettings(string source, JsonObject defaults, List<(string, JsonObject)> entries)
    {
        Source = source;
        this.defaults = defaults;
        this.entries = entries;
    }

    public static GuePinnedSettings Embedded()
    {
        using var stream = typeof(GuePinnedSettings).Assembly.GetManifestResourceStream("gue-pinned.json")
            ?? throw new InvalidOperationException("embedded resource gue-pinned.json is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "gue-pinned.json");
    }

    public static GuePinnedSettings Parse(string json, string source)
    {
        var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
            as JsonObject ?? throw new DnaInputException("the pinned-settings file must be a JSON object", source);
        var defaults = root["defaults"] as JsonObject ?? throw new DnaInputException("missing 'defaults'", source);
        var list = new List<(string, JsonObject)>();
        foreach (var node in root["tasks"] as JsonArray ?? throw new DnaInputException("missing 'tasks'", source))
        {
            var o = (JsonObject)node!.DeepClone();
            var match = o["match"]?.GetValue<string>() ?? throw new DnaInputException("a task entry lacks 'match'", source);
            o.Remove("match");
            list.Add((match, o));
        }
        var pinned = new GuePinnedSettings(root["source"]?.GetValue<string>() ?? source, defaults, list);
        foreach (var (match, _) in list) pinned.For(match.Replace("*", "x", StringComparison.Ordinal)); // binds every entry once: typos fail here
        return pinned;
    }

    /// <summary>True when some entry covers the task (otherwise only the defaults apply, and max length must be given).</summary>
    public bool Covers(string task) => Best(task) is not null;

    /// <summary>The settings for a task with the given overrides (snake_case key=value, as --set takes them) applied.</summary>
    public GueSettings For(string task, IEnumerable<KeyValuePair<string, string>>? overrides = null)
    {
        var merged = (JsonObject)defaults.DeepClone();
        if (Best(task) is { } entry)
            foreach (var (k, v) in entry) merged[k] = v?.DeepClone();
        var assignments = (overrides ?? []).Select(kv => $"{kv.Key}={kv.Value}");
        return ConfigLoader.Bind<GueSettings>(merged, $"GUE settings for {task}", assignments);
    }

    private JsonObject? Best(string task)
    {
        var exact = entries.FirstOrDefault(e => e.Match == task);
        if (exact.Fields is not null) return exact.Fields;
        var pattern = entries.FirstOrDefault(e => e.Match.EndsWith("/*", StringComparison.Ordinal)
            && task.StartsWith(e.Match[..^1], StringComparison.Ordinal));
        return pattern.Fields;
    }
}
