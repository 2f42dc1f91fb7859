using System.Diagnostics;
using System.Globalization;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// The streaming bound of <c>dnafm predict</c>: genome-wide tiling of the shipped chr20 sample (63 Mbp contig, ~2 Mbp
/// of real bases) with the quick start's fine-tuned model, as a user runs it (its own process, table + bedGraph + BED
/// outputs), under GNU time for the peak resident set. The issue's bound is 1 GB. Also runs the same command on one
/// 200-kb slice (--tile) so the peak can be read against the input size: streaming means it does not grow with it.
/// </summary>
public sealed class PredictMemoryBenchmark : IBenchmark
{
    public string Name => "predict-memory";

    public string Description => "peak RSS of dnafm predict --genome-wide on the chr20 sample (quick start model) vs one tile.";

    private const long LimitKiB = 1L << 20;

    public int Run(string[] args)
    {
        var root = RepoRoot();
        var model = Path.GetFullPath(StringArg(args, "--model") ?? Path.Combine(root, "runs", "quickstart", "finetune", "final"));
        string window = StringArg(args, "--window") ?? "70", stride = StringArg(args, "--stride") ?? "35", threads = StringArg(args, "--threads") ?? "2";
        if (!Directory.Exists(model) || !File.Exists("/usr/bin/time"))
        {
            Console.Error.WriteLine($"needs a fine-tuned model at {model} (run `dnafm quickstart` first, or pass --model) and GNU time at /usr/bin/time");
            return 2;
        }
        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores; load average at start {LoadAverage()}");
        Console.WriteLine($"model {model}, --window {window} --stride {stride} --threads {threads}; outputs .tsv + .bedgraph + .bed");
        Console.WriteLine("| input | windows predicted | seconds | windows/s | peak RSS | under 1 GB |");
        Console.WriteLine("|---|---|---|---|---|---|");
        bool ok = true;
        foreach (var (name, selection) in new[] { ("--tile 20:9000001-9200000 (200 kb)", new[] { "--tile", "20:9000001-9200000" }), ("--genome-wide (chr20 sample)", new[] { "--genome-wide" }) })
        {
            using var temp = new TempDirectory();
            var psi = new ProcessStartInfo("/usr/bin/time") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            foreach (var a in new[] { "-v", "dotnet", Path.Combine(AppContext.BaseDirectory, "dnafm.dll"), "predict", "--model", model, "--genome", "samples/genome/GRCh37_chr20_sample.fa.gz" }
                         .Concat(selection).Concat(["--window", window, "--stride", stride, "--threads", threads,
                         "--output", Path.Combine(temp.Path, "p.tsv"), "--output", Path.Combine(temp.Path, "p.bedgraph"), "--output", Path.Combine(temp.Path, "p.bed")]))
                psi.ArgumentList.Add(a);
            var sw = Stopwatch.StartNew();
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            double seconds = sw.Elapsed.TotalSeconds;
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"dnafm predict exited {p.ExitCode}: {stderr}");
                return 1;
            }
            long peak = long.Parse(stderr.Split('\n').First(l => l.Contains("Maximum resident set size", StringComparison.Ordinal)).Split(':')[1].Trim(), CultureInfo.InvariantCulture);
            long windows = File.ReadLines(Path.Combine(temp.Path, "p.tsv")).LongCount() - 1;
            ok &= peak < LimitKiB;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {windows:N0} | {seconds:F1} | {windows / seconds:F0} | {peak / 1024.0:F0} MiB | {(peak < LimitKiB ? "yes" : "NO")} |"));
        }
        Console.WriteLine($"load average at end {LoadAverage()}");
        return ok ? 0 : 1;
    }
}
