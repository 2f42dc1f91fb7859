using System.Diagnostics;
using System.Globalization;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Training;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Masking;
using DnaFoundation.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// The trainer's own cost, side by side in one process: tokens/s of the full trainer (data loading from the genome,
/// masking, accumulation, gradient bucket, clipping, AdamW, metrics/TensorBoard logging) against the bare model step
/// (forward + backward + AdamW on micro-batches built and masked beforehand) on the same model, recipe, batches and
/// thread count; bare and full runs alternate so machine-load drift hits both. Then resident memory over a 2,000-step
/// run of the same small model with periodic evaluation and checkpoints, sampled every 100 steps.
/// </summary>
public sealed class TrainerBenchmark : IBenchmark
{
    public string Name => "trainer";

    public string Description => "Full trainer tokens/s vs the bare model step (target ≥ 95%); RSS over a 2,000-step run (target ≤ 5% growth after warm-up).";

    public int Run(string[] args)
    {
        int steps = IntArg(args, "--steps", 100), warmup = IntArg(args, "--warmup", 10), rounds = IntArg(args, "--rounds", 3);
        int threads = IntArg(args, "--threads", 1), memorySteps = IntArg(args, "--memory-steps", 2000);
        var configPath = StringArg(args, "--config") ?? Path.Combine(RepoRoot(), "configs", "train", "tiny.json");
        var sets = Values(args, "--set");
        var device = DeviceChoice.Parse("cpu", threads);
        device.ApplyToCurrentThread();
        // Evaluation and checkpoints are not per-step costs: out of the throughput runs (they are in the memory run).
        var cfg = TrainerConfig.Load(configPath, [.. sets, $"max_steps={warmup + steps}", "eval_every=0", $"checkpoint_every={10 * (warmup + steps)}", "baseline_windows=64", "device=cpu", $"threads={threads}"]);
        Console.WriteLine($"config {configPath} {string.Join(' ', sets)}; threads {threads}; micro-batch {cfg.MicroBatchSize} × {cfg.MaxLength} tokens, global batch {cfg.GlobalBatchSize}; {steps} timed steps after {warmup} warm-up, {rounds} rounds alternating");
        Console.WriteLine($"load average before: {LoadAverage()}");

        var bare = new List<double>();
        var full = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            bare.Add(BareTokensPerSecond(cfg, device, warmup, steps));
            full.Add(FullTokensPerSecond(cfg, device, warmup, steps));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: bare {bare[^1]:F0} tokens/s, full trainer {full[^1]:F0} tokens/s ({100 * full[^1] / bare[^1]:F1}%)"));
        }
        double b = Median(bare), f = Median(full);
        Console.WriteLine();
        Console.WriteLine("| measurement | tokens/s (median of rounds) |");
        Console.WriteLine("|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare step: forward + backward + AdamW on pre-built, pre-masked batches | {b:F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| full trainer: genome windows, masking, accumulation, bucket, clipping, AdamW, logging | {f:F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| full ÷ bare | {100 * f / b:F1}% (per round: {string.Join(", ", full.Zip(bare, (x, y) => (100 * x / y).ToString("F1", CultureInfo.InvariantCulture) + "%"))}) |"));
        Console.WriteLine($"load average after throughput: {LoadAverage()}");
        if (memorySteps > 0) Memory(configPath, sets, device, threads, memorySteps);
        return 0;
    }

    /// <summary>The same parts the trainer gets (model, masker, batches), timed without the trainer around them.</summary>
    private static double BareTokensPerSecond(TrainerConfig cfg, DeviceChoice device, int warmup, int steps)
    {
        using var dir = new TempDirectory();
        using var built = Pretraining.Build(cfg, new PretrainRequest(dir.Path, null, null, device), null, Training.Distributed.SingleProcessCommunicator.Instance, Serilog.Core.Logger.None, null);
        var p = built.Parts;
        int accumulation = cfg.AccumulationSteps(1);
        // Distinct pre-built micro-batches, masked once, reused cyclically; owned by this scope.
        using var prebuilt = NewDisposeScope();
        var batches = new List<(TrainingBatch Batch, MaskedBatch Masked)>();
        for (int i = 0; i < Math.Min(64, (warmup + steps) * accumulation); i++)
        {
            var b = p.Train.Next();
            batches.Add((b, p.Masker.Apply(b.InputIds, b.SoftMasked)));
        }
        var model = p.Model;
        model.to(p.Device);
        model.train();
        using var optimizer = OptimizerFactory.Create(model.named_parameters().Select(x => (x.name, x.parameter)).ToList(), cfg.Optimizer);
        long tokens = 0;
        var clock = new Stopwatch();
        int k = 0;
        for (int s = 0; s < warmup + steps; s++)
        {
            if (s == warmup) clock.Start();
            using var scope = NewDisposeScope();
            for (int m = 0; m < accumulation; m++, k++)
            {
                var (batch, masked) = batches[k % batches.Count];
                var o = PretrainingObjective.Compute(model, masked, batch, cfg.Multitask, p.Device);
                o.Total.backward();
                if (s >= warmup) tokens += batch.Tokens;
            }
            optimizer.step();
            optimizer.zero_grad();
        }
        clock.Stop();
        return tokens / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Pretraining.Run as the command runs it; the clock runs from the end of the warm-up steps to the end of the last step.</summary>
    private static double FullTokensPerSecond(TrainerConfig cfg, DeviceChoice device, int warmup, int steps)
    {
        using var dir = new TempDirectory();
        var clock = new Stopwatch();
        long tokensAtWarmup = 0, tokensAtEnd = 0;
        Trainer? seen = null;
        var hooks = new TrainerHooks
        {
            AfterStep = (step, trainer) =>
            {
                seen = trainer;
                if (step == warmup) { clock.Start(); tokensAtWarmup = trainer.TokensSeen; }
                if (step == warmup + steps) { clock.Stop(); tokensAtEnd = trainer.TokensSeen; }
            },
        };
        Pretraining.Run(cfg, new PretrainRequest(dir.Path, null, null, device), Serilog.Core.Logger.None, null, CancellationToken.None, hooks);
        return (tokensAtEnd - tokensAtWarmup) / clock.Elapsed.TotalSeconds;
    }

    private static void Memory(string configPath, IReadOnlyList<string> sets, DeviceChoice device, int threads, int memorySteps)
    {
        using var dir = new TempDirectory();
        var cfg = TrainerConfig.Load(configPath, [.. sets, $"max_steps={memorySteps}", "eval_every=500", "checkpoint_every=500", "keep_last=2", "baseline_windows=64", "device=cpu", $"threads={threads}"]);
        var samples = new List<(long Step, double RssMb, double ManagedMb, double Seconds)>();
        var clock = Stopwatch.StartNew();
        var hooks = new TrainerHooks
        {
            AfterStep = (step, _) =>
            {
                if (step % 100 == 0) samples.Add((step, RssMb(), GC.GetTotalMemory(false) / 1048576.0, clock.Elapsed.TotalSeconds));
            },
        };
        Pretraining.Run(cfg, new PretrainRequest(dir.Path, null, null, device), Serilog.Core.Logger.None, null, CancellationToken.None, hooks);
        Console.WriteLine();
        Console.WriteLine($"memory: {memorySteps} steps of the same recipe, evaluation and checkpoints every 500 steps; resident set (VmRSS) after every 100th step");
        Console.WriteLine();
        Console.WriteLine("| step | RSS MiB | managed heap MiB | elapsed s |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (s, rss, managed, t) in samples)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {s} | {rss:F1} | {managed:F1} | {t:F0} |"));
        var afterWarmup = samples.First(x => x.Step >= 200);
        var max = samples.Where(x => x.Step >= afterWarmup.Step).Max(x => x.RssMb);
        var last = samples[^1];
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS after warm-up (step {afterWarmup.Step}) {afterWarmup.RssMb:F1} MiB; at step {last.Step} {last.RssMb:F1} MiB ({100 * (last.RssMb - afterWarmup.RssMb) / afterWarmup.RssMb:+0.0;-0.0}%); highest after warm-up {max:F1} MiB ({100 * (max - afterWarmup.RssMb) / afterWarmup.RssMb:+0.0;-0.0}%)"));
        Console.WriteLine($"load average after memory run: {LoadAverage()}");
    }

    private static double RssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return Environment.WorkingSet / 1048576.0;
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dnafm-bench-trainer-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }

    private static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DnaFoundation.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("DnaFoundation.sln not found above " + AppContext.BaseDirectory);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int IntArg(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? StringArg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static List<string> Values(string[] args, string name)
    {
        var list = new List<string>();
        for (int i = 0; i + 1 < args.Length; i++) if (args[i] == name) list.Add(args[i + 1]);
        return list;
    }
}
