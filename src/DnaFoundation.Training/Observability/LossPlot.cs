using System.Text.Json.Nodes;

namespace DnaFoundation.Training.Observability;

/// <summary>
/// PNG plots of a run's loss curves, drawn from <c>metrics.jsonl</c> at the end of the run: every training loss
/// (total and per task), the validation losses, and optional horizontal reference lines (e.g. the unigram baseline).
/// </summary>
public static class LossPlot
{
    public static void Write(string metricsPath, string pngPath, string title, IReadOnlyDictionary<string, double>? references = null)
    {
        var records = MetricsWriter.Read(metricsPath).ToList();
        var plot = new ScottPlot.Plot();
        AddSeries(plot, records, "train", "train ");
        AddSeries(plot, records, "eval", "validation ");
        foreach (var (name, value) in references ?? new Dictionary<string, double>())
        {
            var line = plot.Add.HorizontalLine(value);
            line.LegendText = name;
            line.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel("loss (nats per masked token)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        var dir = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        var temp = pngPath + ".tmp.png";
        plot.SavePng(temp, 1000, 600);
        File.Move(temp, pngPath, overwrite: true);
    }

    /// <summary>
    /// The keys plotted for the records of one kind: every "loss*" key, except loss_scale (fp16's dynamic loss scale,
    /// logged beside the losses, is not a loss and would squash the curves).
    /// </summary>
    public static IReadOnlyList<string> SeriesKeys(IEnumerable<JsonObject> records, string kind) =>
        records.Where(r => r["kind"]?.GetValue<string>() == kind)
            .SelectMany(r => r.Select(p => p.Key))
            .Where(k => k.StartsWith("loss", StringComparison.Ordinal) && k != "loss_scale")
            .Distinct().Order(StringComparer.Ordinal).ToList();

    private static void AddSeries(ScottPlot.Plot plot, List<JsonObject> records, string kind, string label)
    {
        var ofKind = records.Where(r => r["kind"]?.GetValue<string>() == kind).ToList();
        foreach (var key in SeriesKeys(records, kind))
        {
            var points = ofKind.Where(r => r[key] is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d))
                .Select(r => (x: (double)r["step"]!.GetValue<long>(), y: r[key]!.GetValue<double>())).ToArray();
            if (points.Length == 0) continue;
            var s = plot.Add.Scatter(points.Select(p => p.x).ToArray(), points.Select(p => p.y).ToArray());
            s.LegendText = label + key;
            s.MarkerSize = kind == "eval" ? 5 : 0;
        }
    }
}
