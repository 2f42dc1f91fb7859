using System.Globalization;

namespace DnaFoundation.Cli.Quickstart;

/// <summary>A bedGraph track (one contig) drawn as a step plot, for the quick start report.</summary>
public static class TrackPlot
{
    /// <summary>The track's runs: (start, end, value), data lines only.</summary>
    public static IReadOnlyList<(long Start, long End, double Value)> Read(string bedGraph) => File.ReadLines(bedGraph)
        .Where(l => l.Length > 0 && !l.StartsWith("track", StringComparison.Ordinal))
        .Select(l => l.Split('\t'))
        .Select(f => (long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture)))
        .ToList();

    public static void WritePng(string bedGraph, string path, string title)
    {
        var runs = Read(bedGraph);
        if (runs.Count == 0) return;
        var xs = new List<double>();
        var ys = new List<double>();
        foreach (var (start, end, value) in runs)
        {
            xs.Add(start / 1e6);
            ys.Add(value);
            xs.Add(end / 1e6);
            ys.Add(value);
        }
        var plot = new ScottPlot.Plot();
        var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
        line.LineWidth = 1.5f;
        var threshold = plot.Add.HorizontalLine(0.5);
        threshold.LinePattern = ScottPlot.LinePattern.Dashed;
        threshold.Color = ScottPlot.Colors.Gray;
        plot.Axes.SetLimitsY(0, 1);
        plot.XLabel("chr20 position (Mbp, GRCh37)");
        plot.YLabel("P(promoter)");
        plot.Title(title);
        var temp = path + ".tmp.png";
        plot.SavePng(temp, 900, 300);
        File.Move(temp, path, overwrite: true);
    }
}
