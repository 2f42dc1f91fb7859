using System.Diagnostics;
using System.Globalization;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Windows;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Masking;
using DnaFoundation.Training.Observability;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Rows packed by tokens (data.pack) against base-length windows, on GRCh37 chr20 with DNABERT-2's published BPE:
/// (1) how many tokens a window of N bases gives, so what share of a max_length row is padding or cut off;
/// (2) effective tokens/s (non-padding tokens trained per second) of the full trainer, packed and windowed runs
/// alternating so machine-load drift hits both; (3) validation loss at equal tokens seen, each final model scored on
/// both validation streams (windows and packed rows of the same held-out region), over several seeds for the noise.
/// </summary>
public sealed class PackingBenchmark : IBenchmark
{
    public string Name => "packing";

    public string Description => "Packed rows vs base-length windows on chr20 with DNABERT-2's BPE: padding, truncation, effective tokens/s (target >= 1.1x), validation loss at equal tokens.";

    private const string TrainRegion = "20:30000001-50000000", ValidationRegion = "20:55000001-57000000";

    public int Run(string[] args)
    {
        var shared = Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "data"));
        var genome = StringArg(args, "--genome") ?? Path.Combine(shared, "genomes", "human", "GRCh37_chr20.fa.gz");
        var tokenizerPath = StringArg(args, "--tokenizer") ?? Path.Combine(shared, "tokenizers", "dnabert2", "tokenizer.json");
        // Base-length windows to compare with: 550 bp is the longest with no truncated row in the sample below, 600 bp
        // is configs/train/dnabert2.json's (about 1% of rows cut). The first is the loss comparison's baseline.
        var windows = (StringArg(args, "--windows") ?? "550,600").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        int stretch = IntArg(args, "--stretch", 600), maxLength = IntArg(args, "--max-length", 128), threads = IntArg(args, "--threads", 1);
        int rounds = IntArg(args, "--rounds", 3), steps = IntArg(args, "--steps", 30), warmup = IntArg(args, "--warmup", 5);
        int lossSteps = IntArg(args, "--loss-steps", 200), firstSeed = IntArg(args, "--first-seed", 1), seeds = IntArg(args, "--seeds", 2), evalBatches = IntArg(args, "--eval-batches", 32);
        var lossRuns = (StringArg(args, "--loss-runs") ?? "windows,packed,packed-steps").Split(',');
        NativeAllocator.ApplyProcessPolicy(Environment.GetEnvironmentVariable(NativeAllocator.PolicyVariable));
        var device = DeviceChoice.Parse("cpu", threads);
        device.ApplyToCurrentThread();
        var tokenizer = DnaTokenizers.Load(tokenizerPath);
        Console.WriteLine($"genome {genome} (train {TrainRegion}, validation {ValidationRegion}); tokenizer {tokenizerPath} (vocab {tokenizer.VocabSize}); max_length {maxLength}; " +
                          $"windows of {string.Join(", ", windows)} bp vs packed rows read from {stretch}-bp stretches; threads {threads}");
        Console.WriteLine($"CPU: {CpuModel()} ({string.Join(' ', CpuFeatures.Flags.Where(f => f is "avx2" or "avx512f" or "avx512_bf16" or "amx_bf16"))}); load average before: {LoadAverage()}");

        var meanTokens = Distribution(genome, tokenizer, maxLength, [400, 500, 550, 600, 700, .. windows], stretch);

        // window 0 = packed rows.
        TrainerConfig Config(int window, int maxSteps, long seed, int rows = 32) => TrainerConfig.Load(Path.Combine(RepoRoot(), "configs", "train", "tiny.json"),
        [
            // The laptop recipe's model (tiny widened to 4 x 128) with DNABERT-2's vocabulary and whole-token masking.
            "model_overrides=[\"hidden_size=128\",\"num_hidden_layers=4\",\"num_attention_heads=4\",\"intermediate_size=512\"]",
            $"tokenizer={tokenizerPath}", "masking.strategy=token", $"data.genome={genome}",
            $"data.train_regions=[\"{TrainRegion}\"]", $"data.validation_regions=[\"{ValidationRegion}\"]",
            $"data.window_bp={(window == 0 ? stretch : window)}", $"data.pack={(window == 0 ? "true" : "false")}", $"max_length={maxLength}",
            $"micro_batch_size={rows}", $"global_batch_size={rows}", $"max_steps={maxSteps}", "optimizer.lr=2e-3", "optimizer.schedule.warmup_steps=30",
            "eval_every=0", $"checkpoint_every={maxSteps}", "keep_last=1", "log_every=5", "baseline_windows=0", $"seed={seed}", "device=cpu", $"threads={threads}",
        ]);

        if (rounds > 0) Throughput((w, n, seed) => Config(w, n, seed), device, windows, rounds, warmup, steps);
        if (lossSteps > 0) Loss(Config, device, tokenizer, windows[0], lossRuns, lossSteps, firstSeed, seeds, evalBatches, meanTokens[windows[0]], maxLength);
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    /// <summary>Tokens (frame included) of random N-free windows of the training region, and the bases a packed row covers; returns each size's mean tokens per window.</summary>
    private static Dictionary<int, double> Distribution(string genome, DnaTokenizer tokenizer, int maxLength, int[] sizes, int packedStretch)
    {
        using var fasta = IndexedFasta.Open(genome, writeMissingIndex: false);
        var regions = GenomeRegions.Load(fasta, [TrainRegion]);
        var region = regions.Regions[0];
        const int samples = 4000;
        Console.WriteLine();
        Console.WriteLine($"tokens per window ({samples:N0} random N-free windows of {TrainRegion}, [CLS] and [SEP] included) and what a {maxLength}-token row makes of them");
        Console.WriteLine();
        Console.WriteLine("| rows | median tokens | p5 | p95 | p99 | max | padding (share of slots) | rows truncated | tokens cut off |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var means = new Dictionary<int, double>();
        foreach (var bp in sizes.Distinct().Order())
        {
            var rng = new Random(bp);
            var counts = new List<int>();
            while (counts.Count < samples)
            {
                long start = rng.NextInt64(region.Bases.Length - bp);
                if (regions.NFraction(region, start, bp) > 0) continue;
                counts.Add(tokenizer.Encode(region.Bases.AsSpan((int)start, bp)).TokenCount);
            }
            counts.Sort();
            means[bp] = counts.Average(n => (double)Math.Min(n, maxLength));
            double padding = counts.Sum(n => (double)Math.Max(0, maxLength - n)) / (samples * (double)maxLength);
            double truncated = counts.Count(n => n > maxLength) / (double)samples;
            double cut = counts.Sum(n => (double)Math.Max(0, n - maxLength)) / counts.Sum(n => (double)n);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {bp}-bp windows | {counts[samples / 2]} | {counts[samples / 20]} | {counts[samples * 19 / 20]} | {counts[samples * 99 / 100]} | {counts[^1]} | {padding:P2} | {truncated:P2} | {cut:P2} |"));
        }
        var covered = new List<int>();
        int lengthened = 0;
        var r2 = new Random(7);
        while (covered.Count < samples)
        {
            long start = r2.NextInt64(region.Bases.Length - 4 * packedStretch);
            if (regions.NFraction(region, start, 4 * packedStretch) > 0) continue;
            for (int length = packedStretch; ; length = PackedRow.Longer(length))
            {
                if (PackedRow.Encode(tokenizer, region.Bases.AsSpan((int)start, length), maxLength, reverse: false) is { } e)
                {
                    covered.Add(e.BasesConsumed);
                    break;
                }
                lengthened++;
            }
        }
        covered.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| packed rows (read from {packedStretch}-bp stretches) | {maxLength} | {maxLength} | {maxLength} | {maxLength} | {maxLength} | 0.00% | 0.00% | 0.00% |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"packed rows cover {covered[samples / 2]} bases at the median (p5 {covered[samples / 20]}, p95 {covered[samples * 19 / 20]}); {lengthened / (double)samples:P1} of rows needed a longer stretch than {packedStretch} bp"));
        return means;
    }

    private sealed record RunStats(double Seconds, long Tokens, int Steps, double MedianStep, double PadFraction, long Truncated);

    private static string Rows(int window) => window == 0 ? "packed" : $"{window}-bp windows";

    /// <summary>Full trainer runs, each window size and packed rows in turn (order rotating by round).</summary>
    private static void Throughput(Func<int, int, long, TrainerConfig> config, DeviceChoice device, int[] windows, int rounds, int warmup, int steps)
    {
        int[] kinds = [0, .. windows];
        var runs = kinds.ToDictionary(k => k, _ => new List<RunStats>());
        Console.WriteLine();
        Console.WriteLine($"throughput: {rounds} rounds, each a run of every kind with {steps} timed steps after {warmup} warm-up (order rotating by round); " +
                          "effective tokens/s = non-padding tokens ÷ wall time of the timed steps (the trainer's own tokens_per_s)");
        Console.WriteLine();
        Console.WriteLine("| round | rows | step ms (median) | tokens per step | effective tokens/s | pad_fraction (metrics.jsonl) | truncated_rows |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < kinds.Length; i++)
            {
                int kind = kinds[(i + r) % kinds.Length];
                var stats = Timed(config(kind, warmup + steps + 1, 42), device, warmup, steps);
                runs[kind].Add(stats);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r + 1} | {Rows(kind)} | {stats.MedianStep * 1000:F0} | {stats.Tokens / (double)stats.Steps:F0} | {stats.Tokens / stats.Seconds:F0} | {stats.PadFraction:P2} | {stats.Truncated} |"));
            }
        }
        Console.WriteLine();
        double packed = Median(runs[0].Select(s => s.Tokens / s.Seconds));
        foreach (var w in windows)
        {
            double mine = Median(runs[w].Select(s => s.Tokens / s.Seconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"**effective tokens/s, median of rounds: {Rows(w)} {mine:F0}, packed {packed:F0}: packed ÷ windows = {packed / mine:F3}x** " +
                $"(padding {Median(runs[w].Select(s => s.PadFraction)):P2} vs {Median(runs[0].Select(s => s.PadFraction)):P2}; " +
                $"median step {Median(runs[w].Select(s => s.MedianStep)) * 1000:F0} vs {Median(runs[0].Select(s => s.MedianStep)) * 1000:F0} ms)"));
        }
    }

    /// <summary>One run; wall time and non-padding tokens of steps warmup+1 … warmup+steps, and what metrics.jsonl says about the run.</summary>
    private static RunStats Timed(TrainerConfig cfg, DeviceChoice device, int warmup, int steps)
    {
        using var dir = new TempDirectory("dnafm-bench-packing-");
        var seconds = new List<double>();
        long last = 0, lastTokens = 0, tokens = 0;
        var hooks = new TrainerHooks
        {
            AfterStep = (step, trainer) =>
            {
                long now = Stopwatch.GetTimestamp();
                if (step > warmup && step <= warmup + steps)   // step s takes from the end of step s - 1 to its own end
                {
                    seconds.Add(Stopwatch.GetElapsedTime(last, now).TotalSeconds);
                    tokens += trainer.TokensSeen - lastTokens;
                }
                last = now;
                lastTokens = trainer.TokensSeen;
            },
        };
        Pretraining.Run(cfg, new PretrainRequest(dir.Path, null, null, device), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, CancellationToken.None, hooks);
        var lines = MetricsWriter.Read(Path.Combine(dir.Path, MetricsWriter.FileName)).Where(o => o["kind"]!.GetValue<string>() == "train").ToList();
        return new RunStats(seconds.Sum(), tokens, seconds.Count, Median(seconds), lines.Average(l => l["pad_fraction"]!.GetValue<double>()), lines.Sum(l => l["truncated_rows"]!.GetValue<long>()));
    }

    /// <summary>
    /// Per seed, runs to the same number of tokens: windows (32 rows × S steps); packed with the same rows per step
    /// (32 × fewer steps, so fewer optimizer updates); packed with the same tokens per step (fewer rows × S steps, so
    /// the same updates). Each final model is scored on both validation streams.
    /// </summary>
    private static void Loss(Func<int, int, long, int, TrainerConfig> config, DeviceChoice device, DnaTokenizer tokenizer, int window, string[] runs, int windowSteps,
        int firstSeed, int seeds, int evalBatches, double windowTokensPerRow, int maxLength)
    {
        double tokensPerStep = 32 * windowTokensPerRow;
        int packedSteps = (int)Math.Round(windowSteps * tokensPerStep / (32.0 * maxLength)), packedRows = (int)Math.Round(tokensPerStep / maxLength);
        var kinds = new Dictionary<string, (string Label, int Window, int Rows, int Steps)>
        {
            ["windows"] = ($"{window}-bp windows", window, 32, windowSteps),
            ["packed"] = ("packed, same rows per step", 0, 32, packedSteps),
            ["packed-steps"] = ("packed, same tokens per step", 0, packedRows, windowSteps),
        };
        Console.WriteLine();
        Console.WriteLine($"loss at equal tokens ({tokensPerStep:F0} non-padding tokens per step of {window}-bp windows × {windowSteps} steps): the same schedule shape over each run's steps, seeds {firstSeed}..{firstSeed + seeds - 1}; " +
                          $"validation: {evalBatches} batches of 32 rows of {ValidationRegion}, tiled as windows and as packed rows, the same masks for every model");
        Console.WriteLine();
        Console.WriteLine("| seed | rows | rows × steps | tokens seen | train loss (last 25 steps) | val loss, window rows | val loss, packed rows | wall s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var results = new List<(string Kind, double OnWindows, double OnPacked)>();
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            foreach (var name in runs)
            {
                var (label, kind, rows, steps) = kinds[name];
                using var dir = new TempDirectory("dnafm-bench-packing-");
                var cfg = config(kind, steps, seed, rows);
                var clock = Stopwatch.StartNew();
                var result = Pretraining.Run(cfg, new PretrainRequest(dir.Path, null, null, device), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, CancellationToken.None);
                double wall = clock.Elapsed.TotalSeconds;
                var train = MetricsWriter.Read(Path.Combine(dir.Path, MetricsWriter.FileName)).Where(o => o["kind"]!.GetValue<string>() == "train").ToList();
                double trainLoss = train.Where(l => l["step"]!.GetValue<long>() > cfg.MaxSteps - 25).Average(l => l["loss"]!.GetValue<double>());
                var final = Path.Combine(dir.Path, Trainer.FinalDirectory);
                double onWindows = Validate(final, config(window, 1, seed, 32), tokenizer, evalBatches, device);
                double onPacked = Validate(final, config(0, 1, seed, 32), tokenizer, evalBatches, device);
                results.Add((name, onWindows, onPacked));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {seed} | {label} | {rows} × {steps} | {result.TokensSeen:N0} | {trainLoss:F4} | {onWindows:F4} | {onPacked:F4} | {wall:F0} |"));
            }
        }
        Console.WriteLine();
        foreach (var name in runs)
        {
            var mine = results.Where(x => x.Kind == name).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{kinds[name].Label}: val loss on window rows {mine.Average(x => x.OnWindows):F4} (seed range {mine.Max(x => x.OnWindows) - mine.Min(x => x.OnWindows):F4}), on packed rows {mine.Average(x => x.OnPacked):F4} (seed range {mine.Max(x => x.OnPacked) - mine.Min(x => x.OnPacked):F4})"));
        }
    }

    /// <summary>MLM loss of a final model on a run config's validation stream, masks from a fixed seed.</summary>
    private static double Validate(string modelDir, TrainerConfig cfg, DnaTokenizer tokenizer, int batches, DeviceChoice device)
    {
        var (model, _) = ModelDirectory.Load(modelDir);
        using (model)
        {
            var specials = Enumerable.Range(0, tokenizer.VocabSize).Where(tokenizer.IsSpecial).ToArray();
            using var streams = PretrainingData.Open(cfg, tokenizer, null, SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            using var source = streams.Validation();
            using var masker = new MlmMasker(cfg.Masking, tokenizer.VocabSize, tokenizer.MaskId, specials, tokenizer.MaskSpan, 12_345);
            return Evaluator.Run(model, source, masker, batches, cfg.Multitask, null, device.Device, SingleProcessCommunicator.Instance).Loss;
        }
    }
}
