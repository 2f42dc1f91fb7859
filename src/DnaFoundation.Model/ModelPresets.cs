using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;

namespace DnaFoundation.Model;

/// <summary>
/// Named architectures from <c>configs/model/*.json</c> (embedded in this library), a <c>config.json</c> path,
/// or a model directory. <c>--model</c> everywhere goes through <see cref="Load"/>.
/// </summary>
public static class ModelPresets
{
    private const string ResourcePrefix = "presets/";

    public static IReadOnlyList<string> Names { get; } = typeof(ModelPresets).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".json".Length])
        .Order(StringComparer.Ordinal).ToList();

    /// <summary>A preset name, a config.json file, or a model directory → its config (overrides as <c>key=value</c>).</summary>
    public static EncoderConfig Load(string nameOrPath, IEnumerable<string>? overrides = null)
    {
        if (Directory.Exists(nameOrPath)) return ModelDirectory.ReadConfig(nameOrPath, overrides);
        if (File.Exists(nameOrPath)) return HfConfigReader.Read(nameOrPath, overrides);
        if (!Names.Contains(nameOrPath))
            throw new DnaInputException($"model '{nameOrPath}' is neither a model directory, a config file, nor a preset; presets: {string.Join(", ", Names)}");
        using var stream = typeof(ModelPresets).Assembly.GetManifestResourceStream(ResourcePrefix + nameOrPath + ".json")!;
        var obj = JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }) as JsonObject
            ?? throw new InvalidOperationException($"preset {nameOrPath} is not a JSON object");
        var source = $"configs/model/{nameOrPath}.json";
        HfConfigReader.Normalize(obj, source);
        return ConfigLoader.Bind<EncoderConfig>(obj, source, overrides);
    }
}
