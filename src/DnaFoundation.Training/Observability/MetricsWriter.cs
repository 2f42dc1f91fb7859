using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DnaFoundation.Training.Observability;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per logged step or evaluation (<c>step</c>, <c>kind</c> "train"|"eval", then
/// the numbers). Each line is flushed as written, so a killed run keeps its history; on resume the lines past the
/// checkpoint's step are dropped first, so the file reads as one uninterrupted run.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    public const string FileName = "metrics.jsonl";
    private readonly StreamWriter writer;

    public MetricsWriter(string runDirectory, long? resumeStep)
    {
        Path = System.IO.Path.Combine(runDirectory, FileName);
        if (resumeStep is long step && File.Exists(Path)) TruncateAfter(Path, step);
        else if (resumeStep is null && File.Exists(Path)) File.Delete(Path);
        writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    public string Path { get; }

    /// <summary>Writes one record; non-finite numbers (an overflowed gradient norm) are written as null, since JSON has no inf/NaN.</summary>
    public void Write(JsonObject record)
    {
        foreach (var key in record.Select(kv => kv.Key).ToList())
            if (record[key] is JsonValue v && v.TryGetValue<double>(out var d) && !double.IsFinite(d))
                record[key] = null;
        writer.Write(record.ToJsonString());
        writer.Write('\n');
        writer.Flush();
    }

    public static IEnumerable<JsonObject> Read(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? obj;
            try { obj = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { continue; } // a line cut by a kill
            if (obj is not null) yield return obj;
        }
    }

    private static void TruncateAfter(string path, long step)
    {
        var kept = Read(path).Where(o => o["step"]?.GetValue<long>() <= step).Select(o => o.ToJsonString()).ToList();
        Core.AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    public void Dispose() => writer.Dispose();
}
