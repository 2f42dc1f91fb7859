using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Training-step throughput (forward + backward + AdamW, MLM loss over every token) of the dnabert2-117m preset
/// and a 6-layer / 512-hidden model of the same architecture, batch 32 × 128 tokens, fp32 and bf16 (the whole model
/// cast; the trainer's master-weight policy is not involved). Side by side in one run: the machine's matmul peak
/// measured in this process (achieved training FLOP/s ÷ peak, per dtype), and the same architecture in PyTorch
/// (benchmarks/python/train_step.py under /usr/bin/python3) when it is installed.
/// </summary>
public sealed class ModelTrainBenchmark : IBenchmark
{
    public string Name => "model-train";

    public string Description => "Training-step tokens/s of dnabert2-117m and 6x512 (fp32, bf16) vs matmul peak and PyTorch.";

    private sealed record Shape(string Name, EncoderConfig Config);

    public int Run(string[] args)
    {
        int steps = IntArg(args, "--steps", 3), threads = IntArg(args, "--threads", 2), batch = IntArg(args, "--batch", 32), tokens = IntArg(args, "--tokens", 128);
        bool python = !args.Contains("--no-python");
        var only = StringArg(args, "--models")?.Split(',');
        var dtypes = (StringArg(args, "--dtypes") ?? "fp32,bf16").Split(',');
        torch.set_num_threads(threads);
        var shapes = new List<Shape>
        {
            new("dnabert2-117m", ModelPresets.Load("dnabert2-117m")),
            new("6x512", ModelPresets.Load("dnabert2-117m") with { HiddenSize = 512, NumHiddenLayers = 6, NumAttentionHeads = 8, IntermediateSize = 2048 }),
        }.Where(s => only is null || only.Contains(s.Name)).ToList();

        var peak = dtypes.ToDictionary(d => d, d => MatmulGflops(ParseDtype(d)));
        Console.WriteLine($"CPU: {CpuFlags()}; load average before: {LoadAverage()}; threads {threads}; batch {batch} × {tokens} tokens; {steps} timed steps after 1 warm-up");
        Console.WriteLine("matmul peak (square GEMM, this process): " + string.Join(", ", peak.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F0} GFLOP/s"))));
        Console.WriteLine();
        Console.WriteLine("| model | dtype | step (s) | tokens/s | training GFLOP/s | matmul peak GFLOP/s | % of peak | PyTorch 1.13 tokens/s | ours ÷ PyTorch |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var fp32Rate = new Dictionary<string, double>();
        foreach (var shape in shapes)
        {
            foreach (var d in dtypes)
            {
                if (d != "fp32" && peak.TryGetValue("fp32", out var fp32Peak) && peak[d] < fp32Peak / 4 && !args.Contains("--force"))
                {
                    // No native low-precision GEMM (e.g. AVX2 without AVX-512 BF16/AMX): a step would take hours.
                    Console.WriteLine($"| {shape.Name} | {d} | skipped: {d} GEMM at {peak[d]:F1} GFLOP/s is not native on this CPU (--force runs it) | | | | | | |");
                    continue;
                }
                double seconds = StepSeconds(shape.Config, ParseDtype(d), batch, tokens, steps);
                double rate = batch * tokens / seconds;
                double gflops = TrainingFlops(shape.Config, batch, tokens) / seconds / 1e9;
                if (d == "fp32") fp32Rate[shape.Name] = rate;
                string py = "n/a", ratio = "n/a";
                if (python && d == "fp32" && RunPython(shape.Config, batch, tokens, Math.Max(1, steps - 1), threads) is double pyRate)
                {
                    py = pyRate.ToString("F0", CultureInfo.InvariantCulture);
                    ratio = (rate / pyRate).ToString("F2", CultureInfo.InvariantCulture) + "×";
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {shape.Name} | {d} | {seconds:F2} | {rate:F0} | {gflops:F0} | {peak[d]:F0} | {100 * gflops / peak[d]:F0}% | {py} | {ratio} |"));
            }
        }
        Console.WriteLine();
        foreach (var s in shapes.Where(s => fp32Rate.ContainsKey(s.Name)))
            Console.WriteLine($"{s.Name}: training FLOPs/step {TrainingFlops(s.Config, batch, tokens) / 1e12:F2} TFLOP (6·matmul-params·tokens + 12·L·B·T²·H)");
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    /// <summary>Seconds per training step, averaged over <paramref name="steps"/> after one warm-up step.</summary>
    private static double StepSeconds(EncoderConfig config, ScalarType dtype, int batch, int tokens, int steps)
    {
        torch.manual_seed(0);
        using var model = ModelFactory.Create(config with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 }, ModelHeads.MaskedLm);
        if (dtype != ScalarType.Float32) model.to(dtype);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), 1e-4);
        using var ids = randint(5, config.VocabSize, [batch, tokens], dtype: ScalarType.Int64);
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = model.forward(ids, null).MlmLogits!;
            var loss = Losses.CrossEntropy(logits, ids);
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
        }
        Step();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step();
        return sw.Elapsed.TotalSeconds / steps;
    }

    /// <summary>
    /// FLOPs of one training step: 3 × forward, forward = 2 × (weights used in a matmul) per token + attention's
    /// QKᵀ and PV (4·B·T²·H per layer). Embedding lookups, norms and biases are not matmuls and are not counted.
    /// </summary>
    public static double TrainingFlops(EncoderConfig c, int batch, int tokens)
    {
        double h = c.HiddenSize, i = c.IntermediateSize, up = c.IsGated ? 2 * i : i;
        double perLayer = 4 * h * h + h * up + i * h;
        double matmulParams = c.NumHiddenLayers * perLayer + h * c.EmbeddingWidth + (double)c.EmbeddingWidth * c.VocabSize;
        double n = (double)batch * tokens;
        double attention = 4.0 * c.NumHiddenLayers * batch * (double)tokens * tokens * h;
        return 3 * (2 * matmulParams * n + attention);
    }

    /// <summary>
    /// Square matmul GFLOP/s, the largest of 512/1024/2048 that stays quick: on CPUs without native bf16 (AVX2 only)
    /// libtorch's bf16 GEMM is a slow fallback and a 2048³ product would take minutes.
    /// </summary>
    private static double MatmulGflops(ScalarType dtype)
    {
        double best = 0;
        foreach (int n in new[] { 512, 1024, 2048 })
        {
            using var scope = NewDisposeScope();
            var a = randn(n, n).to(dtype);
            var b = randn(n, n).to(dtype);
            _ = matmul(a, b).sum().to(ScalarType.Float32).item<float>();
            int reps = n == 2048 ? 5 : 3;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) _ = matmul(a, b).sum().to(ScalarType.Float32).item<float>();
            double seconds = sw.Elapsed.TotalSeconds / reps;
            best = Math.Max(best, 2.0 * n * n * n / seconds / 1e9);
            if (seconds > 0.5) break;                                       // the next size would take 8× longer
        }
        return best;
    }

    private static string CpuFlags()
    {
        if (!File.Exists("/proc/cpuinfo")) return "n/a";
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];
        var wanted = flags.Where(f => f is "avx2" or "fma" or "avx512f" or "avx512_bf16" or "amx_bf16").ToList();
        return wanted.Count == 0 ? "none of avx2/avx512/amx" : string.Join(' ', wanted);
    }

    private static double? RunPython(EncoderConfig c, int batch, int tokens, int steps, int threads)
    {
        var script = FindRepoFile("benchmarks", "python", "train_step.py");
        if (script is null || !File.Exists("/usr/bin/python3")) return null;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        foreach (var (k, v) in new[] { ("--vocab", c.VocabSize), ("--hidden", c.HiddenSize), ("--layers", c.NumHiddenLayers), ("--heads", c.NumAttentionHeads),
                     ("--intermediate", c.IntermediateSize), ("--batch", batch), ("--tokens", tokens), ("--steps", steps), ("--threads", threads) })
        {
            psi.ArgumentList.Add(k);
            psi.ArgumentList.Add(v.ToString(CultureInfo.InvariantCulture));
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Console.Error.WriteLine($"PyTorch side failed ({p.ExitCode}): {stderr.Split('\n').LastOrDefault(l => l.Length > 0)}");
            return null;
        }
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        Console.Error.WriteLine($"PyTorch: {stdout.Trim()}");
        return doc.RootElement.GetProperty("tokens_per_s").GetDouble();
    }

    private static string? FindRepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DnaFoundation.sln"))) return Path.Combine([dir.FullName, .. parts]);
        return null;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static ScalarType ParseDtype(string d) => d switch
    {
        "fp32" => ScalarType.Float32,
        "bf16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"dtype '{d}': fp32 or bf16"),
    };

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
}
