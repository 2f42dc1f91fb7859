using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Optimization;
using DnaFoundation.Training.Precision;
using TorchSharp;
using static TorchSharp.torch;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Training-step throughput (forward + backward + AdamW, MLM loss over every token) of the dnabert2-117m preset
/// and a 6-layer / 512-hidden model of the same architecture, batch 32 × 128 tokens, in fp32, bf16 (the whole model
/// cast, as PyTorch's pure-bf16 step) and auto (the trainer's <c>precision: auto</c>: <see cref="PrecisionPolicy"/>
/// resolved for this CPU, bf16 compute over float32 master weights through <see cref="GradientBucket"/>, losses in
/// float32). Side by side in one run: the machine's matmul peak measured in this process (achieved training FLOP/s ÷
/// peak, per dtype), and the same architecture in PyTorch (benchmarks/python/train_step.py under /usr/bin/python3)
/// when it is installed, with the same optimizer settings, the same gradient reset (to None) and the same malloc
/// policy, its environment cleared of BLAS kernel overrides (<see cref="BenchmarkSupport.FairReferenceEnvironment"/>);
/// both sides' BLAS, kernel sets and threads are printed. Per-phase medians of both sides follow the table.
/// </summary>
public sealed class ModelTrainBenchmark : IBenchmark
{
    public string Name => "model-train";

    public string Description => "Training-step tokens/s of dnabert2-117m and 6x512 (fp32, bf16, precision auto) vs matmul peak and PyTorch.";

    private sealed record Shape(string Name, EncoderConfig Config);

    /// <summary>
    /// The optimizer both sides use (benchmarks/python/train_step.py has the same numbers): TorchSharp's factory
    /// defaults differ from PyTorch's (beta2 0.99, no weight decay), so they are spelled out.
    /// </summary>
    private const double Lr = 1e-4, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8, WeightDecay = 0.01;

    private sealed record Phases(double Step, double Forward, double Backward, double Optimizer, string Kernel = "");

    /// <summary>Training GFLOP/s of both sides and our square-GEMM rate, read against the theoretical rate at the end.</summary>
    private sealed record Verdict(string Label, double Ours, double PyTorch, double SquareGemm);

    public int Run(string[] args)
    {
        int steps = IntArg(args, "--steps", 3), threads = IntArg(args, "--threads", 2), batch = IntArg(args, "--batch", 32), tokens = IntArg(args, "--tokens", 128);
        // --device cuda: the same table on a GPU (benchmarks/gpu/run.sh); the PyTorch side and the CPU clock are CPU-only.
        var device = new Device(StringArg(args, "--device") ?? "cpu");
        bool gpu = device.type == DeviceType.CUDA;
        bool python = !args.Contains("--no-python") && !gpu;
        var only = StringArg(args, "--models")?.Split(',');
        var dtypes = (StringArg(args, "--dtypes") ?? "fp32,bf16,auto").Split(',');
        // retain: glibc keeps freed blocks for the next step instead of unmapping them (Runtime.NativeAllocator);
        // default: glibc as it comes. The PyTorch side runs under the same policy (and under glibc's default too with
        // --python-malloc both), so the ratio compares the frameworks, not the allocator settings.
        var malloc = StringArg(args, "--malloc") ?? "retain";
        var pythonMalloc = StringArg(args, "--python-malloc") ?? "same";
        if (malloc is not ("retain" or "default") || pythonMalloc is not ("same" or "default" or "both"))
            throw new ArgumentException("--malloc retain|default, --python-malloc same|default|both");
        bool retained = malloc == "retain" && NativeAllocator.RetainFreedMemory();
        DeviceChoice.Parse("cpu", threads).ApplyToCurrentThread();            // torch's threads and a routed OpenBLAS's pool
        var auto = PrecisionPolicy.For(PrecisionMode.Auto, device);
        var shapes = new List<Shape>
        {
            new("dnabert2-117m", ModelPresets.Load("dnabert2-117m")),
            new("6x512", ModelPresets.Load("dnabert2-117m") with { HiddenSize = 512, NumHiddenLayers = 6, NumAttentionHeads = 8, IntermediateSize = 2048 }),
        }.Where(s => only is null || only.Contains(s.Name)).ToList();

        var peak = dtypes.ToDictionary(d => d, d => MatmulGflops(ParseDtype(d, auto), device));
        if (gpu)
            Console.WriteLine($"GPU: {CudaDevices.Name(Math.Max(0, (int)device.index)) ?? "?"} ({CudaDevices.Capability(Math.Max(0, (int)device.index))?.ToString() ?? "capability unknown"}); backend {TorchEnvironment.Backend.Describe()}, libtorch {TorchEnvironment.LibTorchVersion}");
        var hardware = CpuPeak.Measure(threads, CpuFeatures.Flags);
        Console.WriteLine($"CPU: {Machine()}; load average before: {LoadAverage()}; threads {threads}; batch {batch} × {tokens} tokens; " +
            $"median of {steps} timed steps after 1 warm-up; malloc: {(retained ? "retain freed memory (no mmap, no trim)" : "glibc default")}");
        Console.WriteLine($"ours: {OurBlas()}; precision auto → {auto.Name} ({auto.Reason})");
        Console.WriteLine("matmul peak (square GEMM, this process): " + string.Join(", ", peak.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F0} GFLOP/s"))));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"theoretical fp32 FMA rate: {hardware.Gflops:F0} GFLOP/s = {hardware.Cores} cores × {hardware.ClockGhz:F2} GHz (measured, all cores busy) × {hardware.FlopsPerCycle} FLOP/cycle ({hardware.Basis}); " +
            $"square GEMM at {100 * peak.GetValueOrDefault("fp32") / hardware.Gflops:F0}% of it"));
        Console.WriteLine();
        var pyColumns = PythonRuns(pythonMalloc, retained);
        Console.WriteLine("| model | dtype | step (s) | tokens/s | training GFLOP/s | matmul peak GFLOP/s | % of peak | " +
            string.Join(" | ", pyColumns.Select(c => $"PyTorch 1.13 tokens/s ({c.Label}) | ours ÷ PyTorch ({c.Label})")) + " |");
        Console.WriteLine("|---|---|---|---|---|---|---|" + string.Concat(pyColumns.Select(_ => "---|---|")));
        var phases = new List<string>();
        var verdicts = new List<Verdict>();
        var tokensPerSecond = new Dictionary<(string Model, string Dtype), double>();
        foreach (var shape in shapes)
        {
            foreach (var d in dtypes)
            {
                var dtype = ParseDtype(d, auto);
                if (dtype != ScalarType.Float32 && peak.TryGetValue("fp32", out var fp32Peak) && peak[d] < fp32Peak / 4 && !args.Contains("--force"))
                {
                    // No native low-precision GEMM (e.g. AVX2 without AVX-512 BF16/AMX): a step would take hours.
                    Console.WriteLine($"| {shape.Name} | {d} | skipped: {d} GEMM at {peak[d]:F1} GFLOP/s is not native on this CPU (--force runs it) | | | | |" + string.Concat(pyColumns.Select(_ => " | |")));
                    continue;
                }
                var ours = StepPhases(shape.Config, dtype, d == "auto" ? auto : null, batch, tokens, steps, device);
                phases.Add($"| {shape.Name} | {d} | attention kernel (libtorch's choice, layer 0) | {ours.Kernel} | | | | |");
                double rate = batch * tokens / ours.Step;
                tokensPerSecond[(shape.Name, d)] = rate;
                double gflops = TrainingFlops(shape.Config, batch, tokens) / ours.Step / 1e9;
                var cells = new List<string>();
                phases.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {shape.Name} | {d} | ours | {ours.Forward:F2} | {ours.Backward:F2} | {ours.Optimizer:F2} | {ours.Step:F2} | {TrainingFlops(shape.Config, batch, tokens) / 1e9 / peak[d]:F2} |"));
                foreach (var column in pyColumns)
                {
                    if (python && d is "fp32" or "bf16" && RunPython(shape.Config, d, batch, tokens, steps, threads, column.Retain) is Phases py)
                    {
                        cells.Add((batch * tokens / py.Step).ToString("F0", CultureInfo.InvariantCulture));
                        cells.Add((py.Step / ours.Step).ToString("F2", CultureInfo.InvariantCulture) + "×");
                        if (d == "fp32") verdicts.Add(new Verdict($"{shape.Name} ({column.Label})", gflops, TrainingFlops(shape.Config, batch, tokens) / py.Step / 1e9, peak[d]));
                        phases.Add(string.Create(CultureInfo.InvariantCulture,
                            $"| {shape.Name} | {d} | PyTorch ({column.Label}) | {py.Forward:F2} | {py.Backward:F2} | {py.Optimizer:F2} | {py.Step:F2} | |"));
                    }
                    else cells.AddRange(["n/a", "n/a"]);
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {shape.Name} | {d} | {ours.Step:F2} | {rate:F0} | {gflops:F0} | {peak[d]:F0} | {100 * gflops / peak[d]:F0}% | {string.Join(" | ", cells)} |"));
            }
        }
        Console.WriteLine();
        Console.WriteLine("Phases (median seconds; forward includes resetting the gradients and the loss; GEMM bound = training FLOPs ÷ matmul peak):");
        Console.WriteLine();
        Console.WriteLine("| model | dtype | side | forward | backward | AdamW | step | GEMM bound |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var line in phases) Console.WriteLine(line);
        Console.WriteLine();
        foreach (var s in shapes)
            if (tokensPerSecond.TryGetValue((s.Name, "fp32"), out var fp32Rate) && tokensPerSecond.TryGetValue((s.Name, "auto"), out var autoRate))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s.Name}: precision auto ({auto.Name}) ÷ fp32 tokens/s = {autoRate / fp32Rate:F2}× ({autoRate:F0} vs {fp32Rate:F0})"));
        foreach (var s in shapes)
            Console.WriteLine($"{s.Name}: training FLOPs/step {TrainingFlops(s.Config, batch, tokens) / 1e12:F2} TFLOP (6·matmul-params·tokens + 12·L·B·T²·H)");
        // The clock moves on a shared host: the higher of the two readings makes the theoretical rate an upper bound.
        var after = CpuPeak.Measure(threads, CpuFeatures.Flags);
        var bound = after.Gflops > hardware.Gflops ? after : hardware;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"clock after the runs {after.ClockGhz:F2} GHz; theoretical rate used below (the higher clock): {bound.Gflops:F0} GFLOP/s"));
        foreach (var v in verdicts)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{v.Label}: ours {100 * v.Ours / bound.Gflops:F0}% and PyTorch {100 * v.PyTorch / bound.Gflops:F0}% of the theoretical rate; " +
                $"1.2× PyTorch = {1.2 * v.PyTorch:F0} training GFLOP/s = {120 * v.PyTorch / bound.Gflops:F0}% of the theoretical rate, {120 * v.PyTorch / v.SquareGemm:F0}% of our square GEMM"));
        Console.WriteLine($"load average after: {LoadAverage()}; peak resident set of this process (VmHWM): {PeakRss()}");
        return 0;
    }

    private sealed record PythonColumn(string Label, bool Retain);

    private static List<PythonColumn> PythonRuns(string pythonMalloc, bool retained) => pythonMalloc switch
    {
        "default" => [new("glibc default", false)],
        "both" when retained => [new("same malloc", true), new("glibc default", false)],
        _ => [new(retained ? "same malloc" : "glibc default", retained)],
    };

    /// <summary>
    /// Median seconds per training step and per phase over <paramref name="steps"/> after one warm-up step. With a
    /// <paramref name="policy"/> the step is the trainer's mixed-precision one: compute-dtype model, gradients added
    /// into the float32 bucket, AdamW on the float32 master weights, which are copied back into the model.
    /// </summary>
    private static Phases StepPhases(EncoderConfig config, ScalarType dtype, PrecisionPolicy? policy, int batch, int tokens, int steps, Device device)
    {
        torch.manual_seed(0);
        using var model = ModelFactory.Create(config with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 }, ModelHeads.MaskedLm, device);
        using var master = policy is null ? null : MasterWeights.Prepare(model, policy);
        using var bucket = master is null ? null : new GradientBucket(master.Pairs, SingleProcessCommunicator.Instance);
        if (policy is null && dtype != ScalarType.Float32) model.to(dtype);
        model.train();
        using var optimizer = master is null
            ? optim.AdamW(model.parameters(), Lr, Beta1, Beta2, Eps, WeightDecay)
            : optim.AdamW(master.Pairs.Select(p => p.Master), Lr, Beta1, Beta2, Eps, WeightDecay);
        using var ids = randint(5, config.VocabSize, [batch, tokens], dtype: ScalarType.Int64, device: device);
        Phases Step()
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            // Gradients to None, as PyTorch's zero_grad(set_to_none=True): backward then hands its buffers over
            // instead of adding them into zeroed ones (optimizer.zero_grad() zeroes in place).
            model.zero_grad();
            var logits = model.forward(ids, null).MlmLogits!;
            var loss = Losses.CrossEntropy(logits, ids);
            _ = loss.item<float>();
            double forward = sw.Elapsed.TotalSeconds;
            loss.backward();
            bucket?.AccumulateFromModel();
            double backward = sw.Elapsed.TotalSeconds - forward;
            optimizer.step();
            master?.PushToModel();
            bucket?.Zero();
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();   // a GPU step ends when its kernels do
            double total = sw.Elapsed.TotalSeconds;
            return new Phases(total, forward, backward, total - forward - backward);
        }
        model.Encoder.ObserveAttentionKernels = true;                      // the warm-up step asks libtorch
        Step();
        var kernel = model.Encoder.ObservedAttentionKernels.Count > 0 ? model.Encoder.ObservedAttentionKernels[0].ToString() : "eager";
        model.Encoder.ObserveAttentionKernels = false;
        var timed = Enumerable.Range(0, steps).Select(_ => Step()).ToList();
        return new Phases(Median(timed.Select(p => p.Step)), Median(timed.Select(p => p.Forward)),
            Median(timed.Select(p => p.Backward)), Median(timed.Select(p => p.Optimizer)), kernel);
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
    internal static double MatmulGflops(ScalarType dtype, Device device)
    {
        double best = 0;
        foreach (int n in device.type == DeviceType.CUDA ? new[] { 2048, 4096, 8192 } : new[] { 512, 1024, 2048 })
        {
            using var scope = NewDisposeScope();
            var a = randn(n, n, device: device).to(dtype);
            var b = randn(n, n, device: device).to(dtype);
            _ = matmul(a, b).sum().to(ScalarType.Float32).item<float>();
            int reps = device.type == DeviceType.CUDA ? 10 : n == 2048 ? 5 : 3;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) _ = matmul(a, b).sum().to(ScalarType.Float32).item<float>();
            double seconds = sw.Elapsed.TotalSeconds / reps;
            best = Math.Max(best, 2.0 * n * n * n / seconds / 1e9);
            if (seconds > 0.5) break;                                       // the next size would take 8× longer
        }
        return best;
    }

    private static bool pythonDescribed;

    private static Phases? RunPython(EncoderConfig c, string dtype, int batch, int tokens, int steps, int threads, bool retainMalloc)
    {
        var script = TryRepoRoot(AppContext.BaseDirectory) is string root ? Path.Combine(root, "benchmarks", "python", "train_step.py") : null;
        if (script is null || !File.Exists("/usr/bin/python3")) return null;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        foreach (var (k, v) in new[] { ("--vocab", c.VocabSize), ("--hidden", c.HiddenSize), ("--layers", c.NumHiddenLayers), ("--heads", c.NumAttentionHeads),
                     ("--intermediate", c.IntermediateSize), ("--pad", c.PadTokenId ?? 0), ("--batch", batch), ("--tokens", tokens), ("--steps", steps), ("--threads", threads) })
        {
            psi.ArgumentList.Add(k);
            psi.ArgumentList.Add(v.ToString(CultureInfo.InvariantCulture));
        }
        psi.ArgumentList.Add("--dtype");
        psi.ArgumentList.Add(dtype);
        var environment = FairReferenceEnvironment(psi);
        // The child must not inherit the policy by accident either way: set it or clear it explicitly.
        foreach (var (k, v) in NativeAllocator.ChildEnvironment)
        {
            if (retainMalloc) psi.Environment[k] = v;
            else psi.Environment.Remove(k);
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
        Console.Error.WriteLine($"PyTorch ({(retainMalloc ? "same malloc" : "glibc default")}): {stdout.Trim()}");
        var r = doc.RootElement;
        if (!pythonDescribed && r.TryGetProperty("blas", out var b))
        {
            pythonDescribed = true;
            string S(string name) => b.TryGetProperty(name, out var v) ? v.ToString() : "n/a";
            Console.WriteLine($"PyTorch: torch {S("torch")}, BLAS_INFO={S("blas_info")}, {S("openblas_config")}, kernels {S("openblas_kernels")}, OpenBLAS pool {S("openblas_threads")} threads; " +
                $"ATen CPU kernels {S("cpu_capability")}; torch threads {S("torch_threads")}, omp_get_max_threads {S("omp_max_threads")}; environment: {environment}");
        }
        return new Phases(r.GetProperty("step_s").GetDouble(), r.GetProperty("forward_s").GetDouble(),
            r.GetProperty("backward_s").GetDouble(), r.GetProperty("optimizer_s").GetDouble());
    }

    private static string PeakRss() => ProcStatusKiB("VmHWM") is long kib ? $"{kib} kB" : "n/a";

    private static ScalarType ParseDtype(string d, PrecisionPolicy auto) => d switch
    {
        "fp32" => ScalarType.Float32,
        "bf16" => ScalarType.BFloat16,
        "auto" => auto.ComputeDtype,
        _ => throw new ArgumentException($"dtype '{d}': fp32, bf16 or auto"),
    };
}
