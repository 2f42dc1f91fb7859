using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// How libgomp's wait policy changes a training step on a busy machine: <c>dnafm pretrain</c> (configs/train/tiny.json,
/// --threads = all cores) under libgomp's own default (GOMP_SPINCOUNT=300000: workers spin, then sleep), dnafm's
/// default (PASSIVE: they sleep at once) and ACTIVE (they spin), each on the machine as it is and with one busy
/// competitor process per core. The three policies alternate within every round (fair under drifting load); the
/// median step time of steps 6..N is reported per cell. Each run is a fresh process: libgomp reads the policy once.
/// </summary>
public sealed class WaitPolicyBenchmark : IBenchmark
{
    public string Name => "wait-policy";

    public string Description => "pretrain step time under libgomp's wait policies, idle and with a busy process per core (--rounds 3 --steps 30)";

    private static readonly (string Name, string? Policy, string? Spin)[] Policies =
    [
        ("libgomp default (spin 300000)", null, "300000"),
        ("PASSIVE (dnafm default)", null, null),
        ("ACTIVE", "ACTIVE", null),
    ];

    public int Run(string[] args)
    {
        int rounds = BenchmarkSupport.IntArg(args, "--rounds", 3);
        int steps = BenchmarkSupport.IntArg(args, "--steps", 30);
        var root = BenchmarkSupport.RepoRoot();
        var dnafm = Path.Combine(AppContext.BaseDirectory, "dnafm.dll");
        var times = new Dictionary<(bool, string), List<double>>();
        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores; load average at start {BenchmarkSupport.LoadAverage()}");
        foreach (bool loaded in new[] { false, true })
        {
            var competitors = loaded ? Enumerable.Range(0, Environment.ProcessorCount).Select(_ => Busy()).ToList() : [];
            try
            {
                for (int round = 0; round < rounds; round++)
                    foreach (var p in Policies)
                    {
                        var median = StepMedian(dnafm, root, p.Policy, p.Spin, steps);
                        (times.TryGetValue((loaded, p.Name), out var list) ? list : times[(loaded, p.Name)] = []).Add(median);
                        Console.Error.WriteLine($"  {(loaded ? "busy" : "as is")} round {round + 1} {p.Name}: {median * 1000:F1} ms/step");
                    }
            }
            finally
            {
                foreach (var c in competitors) { c.Kill(); c.Dispose(); }
            }
        }
        Console.WriteLine($"load average at end {BenchmarkSupport.LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| machine | policy | median step (ms), each round | median | vs PASSIVE |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (bool loaded in new[] { false, true })
        {
            double passive = BenchmarkSupport.Median(times[(loaded, Policies[1].Name)]);
            foreach (var p in Policies)
            {
                var t = times[(loaded, p.Name)];
                double m = BenchmarkSupport.Median(t);
                Console.WriteLine($"| {(loaded ? $"+{Environment.ProcessorCount} busy processes" : "as is")} | {p.Name} | {string.Join(" / ", t.Select(x => (x * 1000).ToString("F1", CultureInfo.InvariantCulture)))} | {m * 1000:F1} | {m / passive:F2}× |");
            }
        }
        return 0;
    }

    /// <summary>One pretrain run; the median of its per-step times after five warm-up steps.</summary>
    private static double StepMedian(string dnafm, string root, string? policy, string? spin, int steps)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dnafm-wait-{Guid.NewGuid():N}");
        try
        {
            var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            foreach (var a in new[] { dnafm, "pretrain", "--config", "configs/train/tiny.json", "--output", dir, "--max-steps", steps.ToString(CultureInfo.InvariantCulture),
                "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), "--checkpoint-every", "100000",
                "--set", "log_every=1", "--set", "eval_every=0", "--set", "baseline_windows=64" })
                psi.ArgumentList.Add(a);
            psi.Environment.Remove("OMP_WAIT_POLICY");
            psi.Environment.Remove("GOMP_SPINCOUNT");
            if (policy is not null) psi.Environment["OMP_WAIT_POLICY"] = policy;
            if (spin is not null) psi.Environment["GOMP_SPINCOUNT"] = spin;
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"dnafm pretrain exited {p.ExitCode}: {err.Result}");
            var perStep = File.ReadLines(Path.Combine(dir, "metrics.jsonl"))
                .Select(l => JsonNode.Parse(l)!.AsObject())
                .Where(o => (string?)o["kind"] == "train" && (long)o["step"]! > 5)
                .Select(o => (double)o["step_s"]!).ToList();
            return BenchmarkSupport.Median(perStep);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A process that keeps one core busy until killed (another user's job).</summary>
    private static Process Busy() =>
        Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "while :; do :; done"]) { UseShellExecute = false })!;

    /// <summary>"model name (family F model M)" of the first CPU in /proc/cpuinfo.</summary>
    private static string CpuModel()
    {
        if (!File.Exists("/proc/cpuinfo")) return "unknown";
        var lines = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).ToList();
        string Field(string name) => lines.FirstOrDefault(l => l.Split(':', 2)[0].Trim() == name)?.Split(':', 2)[1].Trim() ?? "?";
        return $"{Field("model name")} (family {Field("cpu family")} model {Field("model")})";
    }
}
