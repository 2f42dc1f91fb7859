using System.Diagnostics;
using System.Globalization;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Training;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Masking;
using DnaFoundation.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

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
        int threads = IntArg(args, "--threads", 1), memorySteps = IntArg(args, "--memory-steps", 2000), memoryEvery = IntArg(args, "--memory-eval-every", 500);
        var configPath = StringArg(args, "--config") ?? Path.Combine(RepoRoot(), "configs", "train", "tiny.json");
        var sets = Values(args, "--set");
        // The malloc policy dnafm runs under (NativeAllocator.ApplyProcessPolicy; DNAFM_MALLOC=default turns it off).
        NativeAllocator.ApplyProcessPolicy(Environment.GetEnvironmentVariable(NativeAllocator.PolicyVariable));
        var device = DeviceChoice.Parse("cpu", threads);
        device.ApplyToCurrentThread();
        // Evaluation and checkpoints are not per-step costs: out of the throughput runs (they are in the memory run).
        var cfg = TrainerConfig.Load(configPath, [.. sets, $"max_steps={warmup + steps}", "eval_every=0", $"checkpoint_every={10 * (warmup + steps)}", "baseline_windows=64", "device=cpu", $"threads={threads}"]);
        Console.WriteLine($"config {configPath} {string.Join(' ', sets)}; threads {threads}; micro-batch {cfg.MicroBatchSize} × {cfg.MaxLength} tokens, global batch {cfg.GlobalBatchSize}; {steps} timed steps after {warmup} warm-up, {rounds} rounds alternating");
        Console.WriteLine($"load average before: {LoadAverage()}; native memory: {NativeAllocator.Policy}");

        if (rounds > 0) Throughput(cfg, device, warmup, steps, rounds);
        if (memorySteps > 0) Memory(configPath, sets, device, threads, memorySteps, memoryEvery);
        return 0;
    }

    private static void Throughput(TrainerConfig cfg, DeviceChoice device, int warmup, int steps, int rounds)
    {
        // Per-step wall times, alternating bare and full rounds: the median step is robust to the load spikes of a
        // shared machine, and alternation spreads slow drifts over both.
        var bare = new List<double>();
        var full = new List<double>();
        long tokensPerStep = 0;
        for (int r = 0; r < rounds; r++)
        {
            var (b1, t1) = BareStepSeconds(cfg, device, warmup, steps);
            var (f1, t2) = FullStepSeconds(cfg, device, warmup, steps);
            if (t1 != t2) throw new InvalidOperationException($"bare and full steps saw different token counts ({t1} vs {t2})");
            tokensPerStep = t1;
            bare.AddRange(b1);
            full.AddRange(f1);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r + 1}: median step bare {Median(b1) * 1000:F1} ms, full {Median(f1) * 1000:F1} ms ({100 * Median(b1) / Median(f1):F1}%)"));
        }
        double b = tokensPerStep / Median(bare), f = tokensPerStep / Median(full);
        var (next, mask, bucketOps, logLine) = TrainerOnlySeconds(cfg, device, 200);
        int accumulation = cfg.AccumulationSteps(1);
        Console.WriteLine();
        Console.WriteLine($"{tokensPerStep} tokens per step; {bare.Count} bare and {full.Count} full steps timed");
        Console.WriteLine();
        Console.WriteLine("| measurement | median step ms | tokens/s (median step) | mean step ms | tokens/s (mean step) |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare step: forward + backward + AdamW on pre-built, pre-masked batches | {Median(bare) * 1000:F1} | {b:F0} | {bare.Average() * 1000:F1} | {tokensPerStep / bare.Average():F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| full trainer: genome windows, masking, accumulation, bucket, clipping, AdamW, logging | {Median(full) * 1000:F1} | {f:F0} | {full.Average() * 1000:F1} | {tokensPerStep / full.Average():F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| **full ÷ bare** | | **{100 * f / b:F1}%** | | **{100 * bare.Average() / full.Average():F1}%** |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| in the full step: {accumulation} × next micro-batch ({cfg.MicroBatchSize} windows cut and tokenized) | {accumulation * next * 1000:F2} | | | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| in the full step: {accumulation} × masking | {accumulation * mask * 1000:F2} | | | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| in the full step: gradient bucket (norm, clip, zero) | {bucketOps * 1000:F2} | | | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| in the full step: metrics line + TensorBoard scalars ÷ log_every ({cfg.LogEvery}) | {logLine / cfg.LogEvery * 1000:F3} | | | |"));
        double own = accumulation * (next + mask) + bucketOps + logLine / cfg.LogEvery;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| **trainer-only work per step, measured apart** | **{own * 1000:F2}** | ⇒ full ÷ bare ≥ **{100 * Median(bare) / (Median(bare) + own):F1}%** | | |"));
        Console.WriteLine($"load average after throughput: {LoadAverage()}");
    }

    /// <summary>The same parts the trainer gets (model, masker, batches), timed without the trainer around them.</summary>
    private static (List<double> Seconds, long TokensPerStep) BareStepSeconds(TrainerConfig cfg, DeviceChoice device, int warmup, int steps)
    {
        using var dir = new TempDirectory("dnafm-bench-trainer-");
        using var built = Pretraining.Build(cfg, new PretrainRequest(dir.Path, null, null, device), null, Training.Distributed.SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null);
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
        var seconds = new List<double>();
        long tokens = 0;
        int k = 0;
        for (int s = 0; s < warmup + steps; s++)
        {
            long start = Stopwatch.GetTimestamp();
            tokens = 0;
            using var scope = NewDisposeScope();
            for (int m = 0; m < accumulation; m++, k++)
            {
                var (batch, masked) = batches[k % batches.Count];
                var o = PretrainingObjective.Compute(model, masked, batch, cfg.Multitask, p.Device);
                o.Total.backward();
                _ = o.Total.item<float>();   // the trainer reads the loss too
                tokens += batch.Tokens;
            }
            optimizer.step();
            optimizer.zero_grad();
            if (s >= warmup) seconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return (seconds, tokens);
    }

    /// <summary>Pretraining.Run as the command runs it; a step's time runs from the end of one step to the end of the next (so it includes the logging in between).</summary>
    private static (List<double> Seconds, long TokensPerStep) FullStepSeconds(TrainerConfig cfg, DeviceChoice device, int warmup, int steps)
    {
        using var dir = new TempDirectory("dnafm-bench-trainer-");
        var seconds = new List<double>();
        long last = 0, lastTokens = 0, tokensPerStep = 0;
        var hooks = new TrainerHooks
        {
            AfterStep = (step, trainer) =>
            {
                long now = Stopwatch.GetTimestamp();
                if (step > warmup)
                {
                    seconds.Add(Stopwatch.GetElapsedTime(last, now).TotalSeconds);
                    tokensPerStep = trainer.TokensSeen - lastTokens;
                }
                last = now;
                lastTokens = trainer.TokensSeen;
            },
        };
        Pretraining.Run(cfg with { MaxSteps = warmup + steps + 1 }, new PretrainRequest(dir.Path, null, null, device), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, CancellationToken.None, hooks);
        return (seconds, tokensPerStep);
    }

    /// <summary>
    /// The trainer's own work, timed apart from the model (medians, so load spikes do not count): per micro-batch,
    /// cutting and tokenizing the windows and masking them; per step, the gradient bucket's norm, clip and zero; per
    /// logged step, one metrics line and its TensorBoard scalars.
    /// </summary>
    private static (double Next, double Mask, double Bucket, double Log) TrainerOnlySeconds(TrainerConfig cfg, DeviceChoice device, int n)
    {
        using var dir = new TempDirectory("dnafm-bench-trainer-");
        using var built = Pretraining.Build(cfg, new PretrainRequest(dir.Path, null, null, device), null, Training.Distributed.SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null);
        var p = built.Parts;
        var next = new List<double>();
        var mask = new List<double>();
        for (int i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            long t0 = Stopwatch.GetTimestamp();
            var b = p.Train.Next();
            long t1 = Stopwatch.GetTimestamp();
            p.Masker.Apply(b.InputIds, b.SoftMasked);
            next.Add(Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
            mask.Add(Stopwatch.GetElapsedTime(t1).TotalSeconds);
        }
        using var master = Training.Precision.MasterWeights.Prepare(p.Model, Training.Precision.PrecisionPolicy.Fp32);
        using var bucket = new GradientBucket(master.Pairs, Training.Distributed.SingleProcessCommunicator.Instance);
        var bucketTimes = new List<double>();
        for (int i = 0; i < n; i++)
        {
            using (no_grad()) bucket.Flat.normal_();
            long t0 = Stopwatch.GetTimestamp();
            using var norm = bucket.Reduce(cfg.AccumulationSteps(1));
            bucket.Clip(norm, 1.0);
            bucket.Zero();
            bucketTimes.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        var logTimes = new List<double>();
        using (var metrics = new Training.Observability.MetricsWriter(dir.Path, null))
        {
            var tb = new Training.Observability.TensorBoardSink(dir.Path);
            for (int i = 0; i < n; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                var line = new System.Text.Json.Nodes.JsonObject
                {
                    ["step"] = i, ["kind"] = "train", ["loss"] = 7.5, ["loss_mlm"] = 7.5, ["lr"] = 1e-3, ["grad_norm"] = 0.5, ["loss_scale"] = 1.0,
                    ["skipped_steps"] = 0.0, ["tokens"] = 4096.0 * i, ["tokens_per_s"] = 16000.0, ["step_s"] = 0.25, ["rss_mb"] = Environment.WorkingSet / 1048576.0,
                };
                metrics.Write(line);
                tb.Scalars("train", i, line.Where(kv => kv.Key is not ("step" or "kind")).Select(kv => new KeyValuePair<string, double>(kv.Key, kv.Value!.GetValue<double>())));
                logTimes.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
        }
        return (Median(next), Median(mask), Median(bucketTimes), Median(logTimes));
    }

    private static void Memory(string configPath, IReadOnlyList<string> sets, DeviceChoice device, int threads, int memorySteps, int every)
    {
        using var dir = new TempDirectory("dnafm-bench-trainer-");
        var cfg = TrainerConfig.Load(configPath, [.. sets, $"max_steps={memorySteps}", $"eval_every={every}", $"checkpoint_every={(every > 0 ? every : 10 * memorySteps)}", "keep_last=2", "baseline_windows=64", "device=cpu", $"threads={threads}"]);
        var samples = new List<(long Step, double RssMb, double ManagedMb, double CommittedMb, double MallocMb, double Seconds)>();
        var clock = Stopwatch.StartNew();
        var hooks = new TrainerHooks
        {
            AfterStep = (step, _) =>
            {
                if (step % 100 == 0)
                    samples.Add((step, RssMb(), GC.GetTotalMemory(false) / 1048576.0, GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, MallocInUseMb(), clock.Elapsed.TotalSeconds));
            },
        };
        Pretraining.Run(cfg, new PretrainRequest(dir.Path, null, null, device), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, CancellationToken.None, hooks);
        Console.WriteLine();
        Console.WriteLine(every > 0
            ? $"memory: {memorySteps} steps of the same recipe, evaluation and checkpoints every {every} steps; resident set (VmRSS) after every 100th step"
            : $"memory: {memorySteps} steps of the same recipe, no evaluation or checkpoint until the end; resident set (VmRSS) after every 100th step");
        Console.WriteLine();
        Console.WriteLine("| step | RSS MiB | managed objects MiB | GC committed MiB | malloc in use MiB (glibc, native: libtorch, TorchSharp) | elapsed s |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (s, rss, managed, committed, malloc, t) in samples)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {s} | {rss:F1} | {managed:F1} | {committed:F1} | {malloc:F1} | {t:F0} |"));
        var afterWarmup = samples.First(x => x.Step >= 200);
        var max = samples.Where(x => x.Step >= afterWarmup.Step).Max(x => x.RssMb);
        var last = samples[^1];
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS after warm-up (step {afterWarmup.Step}) {afterWarmup.RssMb:F1} MiB; at step {last.Step} {last.RssMb:F1} MiB ({Change(afterWarmup.RssMb, last.RssMb)}); highest after warm-up {max:F1} MiB ({Change(afterWarmup.RssMb, max)})"));
        Console.WriteLine($"load average after memory run: {LoadAverage()}");
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 NativeMallInfo2();

    /// <summary>Bytes glibc malloc has handed out and not had back (heap chunks in use + mmapped chunks); NaN off glibc.</summary>
    private static double MallocInUseMb()
    {
        try
        {
            var m = NativeMallInfo2();
            return (m.Uordblks + m.Hblkhd) / 1048576.0;   // in use; the heap's own size (arena) holds the free pages too
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return double.NaN;
        }
    }

    private static double RssMb() => ProcStatusKiB("VmRSS") is long kib ? kib / 1024.0 : Environment.WorkingSet / 1048576.0;

    private static string Change(double from, double to)
    {
        double pct = Math.Round(100 * (to - from) / from, 1);
        return (pct > 0 ? "+" : "") + pct.ToString("F1", CultureInfo.InvariantCulture) + "%";
    }

    private static List<string> Values(string[] args, string name)
    {
        var list = new List<string>();
        for (int i = 0; i + 1 < args.Length; i++) if (args[i] == name) list.Add(args[i + 1]);
        return list;
    }
}
