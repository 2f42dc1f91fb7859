using System.Diagnostics;
using DnaFoundation.Core;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// Renders <see cref="ProgressInfo"/>: a redrawn bar with rate and ETA on an interactive terminal; plain lines at most
/// every <see cref="LineInterval"/> when stderr is redirected or CI is set (so logs stay readable).
/// </summary>
public sealed class ConsoleProgress : IProgress<ProgressInfo>
{
    public static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan BarInterval = TimeSpan.FromMilliseconds(200);

    private readonly bool interactive;
    private readonly TextWriter output;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan? lastDrawn;
    private readonly Lock gate = new();

    public ConsoleProgress(TextWriter? output = null, bool? interactive = null)
    {
        this.output = output ?? Console.Error;
        this.interactive = interactive ?? (!Console.IsErrorRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")));
    }

    public void Report(ProgressInfo value)
    {
        lock (gate)
        {
            var now = clock.Elapsed;
            bool finished = value.Total is { } t && value.Done >= t;
            if (!finished && lastDrawn is { } last && now - last < (interactive ? BarInterval : LineInterval)) return;
            lastDrawn = now;
            var line = Format(value, now);
            if (interactive)
            {
                output.Write("\r" + line.PadRight(Math.Max(0, SafeWidth() - 1)));
                if (finished) output.WriteLine();
            }
            else
                output.WriteLine(line);
        }
    }

    /// <summary>"task [#####.....] 50.0% 1,234/2,468 bp 12.3 bp/s ETA 00:01:40 detail"</summary>
    public static string Format(ProgressInfo p, TimeSpan elapsed)
    {
        double rate = elapsed.TotalSeconds > 0 ? p.Done / elapsed.TotalSeconds : 0;
        var parts = new List<string> { p.Task };
        if (p.Total is { } total && total > 0)
        {
            double frac = Math.Clamp((double)p.Done / total, 0, 1);
            int filled = (int)Math.Round(frac * 24);
            parts.Add("[" + new string('#', filled) + new string('.', 24 - filled) + "]");
            parts.Add($"{frac * 100:F1}%");
            parts.Add($"{p.Done:N0}/{total:N0} {p.Unit}");
            parts.Add($"{FormatRate(rate)} {p.Unit}/s");
            if (rate > 0) parts.Add("ETA " + TimeSpan.FromSeconds(Math.Round((total - p.Done) / rate)).ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            parts.Add($"{p.Done:N0} {p.Unit}");
            parts.Add($"{FormatRate(rate)} {p.Unit}/s");
        }
        if (!string.IsNullOrEmpty(p.Detail)) parts.Add(p.Detail);
        return string.Join(' ', parts);
    }

    private static string FormatRate(double r) => r >= 1e6 ? $"{r / 1e6:F1}M" : r >= 1e3 ? $"{r / 1e3:F1}k" : $"{r:F1}";

    private static int SafeWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 100; }
        catch (IOException) { return 100; }
    }
}
