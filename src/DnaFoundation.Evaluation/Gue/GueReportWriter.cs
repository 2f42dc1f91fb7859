using System.Globalization;
using System.Text;
using System.Text.Json;
using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>Writes <c>results.json</c> (machine-readable) and <c>results.md</c> (our MCC beside the published ones).</summary>
public static class GueReportWriter
{
    public static void Write(GueRunResults results, string outputDir)
    {
        Directory.CreateDirectory(outputDir);
        OutputFiles.WriteText(Path.Combine(outputDir, "results.json"), ToJson(results));
        OutputFiles.WriteText(Path.Combine(outputDir, "results.md"), ToMarkdown(results));
    }

    public static string ToJson(GueRunResults results) =>
        JsonSerializer.Serialize(results, new JsonSerializerOptions(ConfigLoader.Options)
        {
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        });

    /// <summary>MCC shown ×100 as in the paper; F1 and accuracy likewise. Not-run tasks are listed with their reason.</summary>
    public static string ToMarkdown(GueRunResults r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# GUE results: {r.Model}");
        sb.AppendLine();
        sb.AppendLine($"Seeds: {string.Join(", ", r.Seeds)} · device: {r.Device} · data: `{r.DataDir}` · {r.CreatedUtc}");
        sb.AppendLine($"Pinned settings: {r.PinnedSource}.");
        if (r.Overrides.Count > 0)
            sb.AppendLine($"**Overrides of the pinned settings:** {string.Join(", ", r.Overrides.Select(kv => $"`{kv.Key}={kv.Value}`"))} — numbers are not comparable to the paper's protocol.");
        else
            sb.AppendLine("No overrides: the paper's protocol.");
        sb.AppendLine();
        var compared = GuePublishedScores.Compared;
        sb.Append("| Task | MCC (ours, mean ± sd) | F1 | Accuracy | n seeds |");
        foreach (var (_, display) in compared) sb.Append($" {display} |");
        sb.AppendLine();
        sb.Append("|---|---|---|---|---|");
        foreach (var _ in compared) sb.Append("---|");
        sb.AppendLine();
        foreach (var t in r.Tasks)
        {
            sb.Append($"| {t.Task} | ");
            if (t.Status == GueTaskResult.Ok)
                sb.Append($"{Pm(t, "mcc")} | {Pm(t, "f1")} | {Pm(t, "accuracy")} | {t.Seeds.Count} |");
            else
                sb.Append($"{t.Status}: {t.Reason} | | | |");
            foreach (var (key, _) in compared)
                sb.Append(t.PublishedMcc is not null && t.PublishedMcc.TryGetValue(key, out var v) ? $" {F(v)} |" : " – |");
            sb.AppendLine();
        }
        sb.AppendLine();
        sb.AppendLine($"Published columns: {r.PublishedCitation}.");
        return sb.ToString();
    }

    private static string Pm(GueTaskResult t, string key) =>
        t.Mean.TryGetValue(key, out var m) ? $"{F(100 * m)} ± {F(100 * t.Sd[key])}" : "–";

    private static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.00", CultureInfo.InvariantCulture);
}
