using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Evaluation.Interpretation;
using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// <c>dnafm ism</c>'s cost: one sequence (default 300 bp: 900 substitutions) through a 6 × 512 classifier (DNABERT
/// 6-mers, 8 heads, random weights: speed does not depend on them), batched (the runner's batches of 64) against one
/// forward call per variant (batch size 1), side by side in one process; and the MLM LLR scan, whose masked passes
/// are shared by a position's three alts (2 per position instead of 6). Forward calls are counted by the runner's
/// progress reports (one per batch).
/// Before that, the <c>forward</c> part says what batching can win at all on this CPU: the model's forward time per
/// sequence at batch 1, 8, 16 and 64 rows of the scan's token length, ours (only the sequence head, as the
/// predictor runs it; and with the MLM head too, as every forward ran before the predictor named its head) beside a
/// plain PyTorch nn.TransformerEncoder of the same size (benchmarks/python/ism_forward.py), in GFLOP/s.
/// The process runs as <c>dnafm</c> does: libgomp's PASSIVE wait policy (the benchmark host has loaded libtorch
/// before this runs, so a child process is started with it), freed native memory retained, the thread count applied
/// to libtorch and a routed OpenBLAS alike; the PyTorch side gets the same wait and malloc policy.
/// </summary>
public sealed class IsmBenchmark : IBenchmark
{
    public string Name => "ism";

    public string Description => "ISM of one sequence with a 6x512 model: per-shape forward vs PyTorch, batched vs one forward per variant (classifier), and the MLM scan. " +
        "Args: [--length 300] [--threads 2] [--batch 64] [--reps 3] [--parts forward,classifier,mlm]";

    public int Run(string[] args)
    {
        // libgomp reads its wait policy once, when libtorch loads it, which BlasProvider.Select has done already.
        if (Environment.GetEnvironmentVariable(OpenMpWaitPolicy.PolicyVariable) is null && Environment.GetEnvironmentVariable(OpenMpWaitPolicy.SpinCountVariable) is null)
            return RunAsDnafmWould(args);
        int length = IntArg(args, "--length", 300), threads = IntArg(args, "--threads", 2), batch = IntArg(args, "--batch", 64), reps = IntArg(args, "--reps", 3);
        var parts = (StringArg(args, "--parts") ?? "forward,classifier,mlm").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        NativeAllocator.ApplyProcessPolicy(Environment.GetEnvironmentVariable(NativeAllocator.PolicyVariable));
        DeviceChoice.Parse("cpu", threads).ApplyToCurrentThread();
        var tok = DnaTokenizers.Load("kmer:6");
        var rng = new Random(1);
        var seq = new string(Enumerable.Range(0, length).Select(_ => "ACGT"[rng.Next(4)]).ToArray());
        int tokens = tok.Encode(seq).TokenCount;
        torch.manual_seed(0);
        var config = new EncoderConfig
        {
            VocabSize = tok.VocabSize, HiddenSize = 512, NumHiddenLayers = 6, NumAttentionHeads = 8, IntermediateSize = 2048,
            MaxPositionEmbeddings = 512, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, NumLabels = 2, PadTokenId = tok.PadId, MaskTokenId = tok.MaskId,
        };
        using var model = ModelFactory.Create(config, ModelHeads.Sequence | ModelHeads.MaskedLm);
        var task = new ModelTask { Labels = ["0", "1"], MaxLength = 512 };
        Console.WriteLine($"{length}-bp sequence ({3 * length} substitutions), 6 layers × 512 hidden, kmer:6 ({tokens} tokens with [CLS] and [SEP]), threads {threads}");
        Console.WriteLine($"CPU: {Machine()}; load average before: {LoadAverage()}");
        Console.WriteLine($"ours: {OurBlas()}; OpenMP wait {OpenMpWaitPolicy.PolicyVariable}={Environment.GetEnvironmentVariable(OpenMpWaitPolicy.PolicyVariable)}; malloc {NativeAllocator.Policy}");
        if (parts.Contains("forward")) Forward(model, tokens, threads, reps);
        if (parts.Contains("classifier") || parts.Contains("mlm"))
        {
            Console.WriteLine();
            Console.WriteLine("| path | batch size | forward calls | seconds | variants/s | speed-up |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        }
        if (parts.Contains("classifier"))
        {
            double? single = null;
            foreach (var b in new[] { 1, batch })
            {
                var calls = new Counter();
                var predictor = new Predictor(model, tok, task, CPU, new PredictOptions { Inference = InferenceOptions.Default with { BatchSize = b, SortWindow = Math.Max(b, 64) } });
                var sw = Stopwatch.StartNew();
                var r = new SaturationMutagenesis(predictor, 1, IsmScore.Probability).Run([new PredictionInput("s", seq)], progress: calls).Single();
                double s = sw.Elapsed.TotalSeconds;
                single ??= s;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| classifier Δ P | {b} | {calls.Count} | {s:F1} | {r.Variants.Count / s:F1} | {single.Value / s:F2}× |"));
            }
        }
        if (parts.Contains("mlm"))
        {
            var calls = new Counter();
            var sw = Stopwatch.StartNew();
            var r = new SaturationMutagenesis(model, tok, CPU, InferenceOptions.Default with { BatchSize = batch }).Run([new PredictionInput("s", seq)], progress: calls).Single();
            double s = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| MLM LLR (both strands, shared masks) | {batch} | {calls.Count} | {s:F1} | {r.Variants.Count / s:F1} | — |"));
        }
        Console.WriteLine();
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// Forward time per sequence at a few batch sizes of the scan's token length: ours (sequence head only; every head)
    /// and PyTorch's, median of <paramref name="reps"/> after one warm-up, shape by shape in turn, with the GFLOP/s the layers' products make.
    /// </summary>
    private static void Forward(DnaModel model, int tokens, int threads, int reps)
    {
        int[] batches = [1, 8, 16, 64];
        var c = model.Config;
        double Flops(int b) => 2.0 * b * tokens * c.NumHiddenLayers * (4.0 * c.HiddenSize * c.HiddenSize + 2.0 * c.HiddenSize * c.IntermediateSize)
                               + 4.0 * b * tokens * tokens * c.HiddenSize * c.NumHiddenLayers;
        var ours = new Dictionary<(int, ModelHeads), double>();
        var theirs = new Dictionary<int, double>();
        string note = "";
        model.eval();
        foreach (var b in batches)
        {
            foreach (var heads in new[] { ModelHeads.Sequence, model.Heads })
            {
                using var ids = randint(5, c.VocabSize, [b, tokens], dtype: ScalarType.Int64);
                using var _ = no_grad();
                void Once()
                {
                    using var scope = NewDisposeScope();
                    model.Run(ids, heads: heads);
                }
                Once();
                var times = new List<double>();
                for (int i = 0; i < reps; i++)
                {
                    var sw = Stopwatch.StartNew();
                    Once();
                    times.Add(sw.Elapsed.TotalSeconds);
                }
                ours[(b, heads)] = Median(times);
            }
            // PyTorch right after ours at each shape (a process per shape; its start is not timed), so drifting load hits both alike.
            foreach (var (k, v) in PyTorchForward(model.Config, [$"{b}x{tokens}"], threads, reps, out note)) theirs[k] = v;
        }
        Console.WriteLine();
        Console.WriteLine($"PyTorch: {note}");
        Console.WriteLine();
        Console.WriteLine("| batch × tokens | dnafm s/sequence (sequence head) | GFLOP/s | dnafm s/sequence (+ MLM head) | PyTorch s/sequence | GFLOP/s | PyTorch time / dnafm time |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var b in batches)
        {
            double o = ours[(b, ModelHeads.Sequence)], all = ours[(b, model.Heads)];
            var t = theirs.TryGetValue(b, out var x) ? x : (double?)null;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {b} × {tokens} | {o / b:F4} | {Flops(b) / o / 1e9:F1} | {all / b:F4} | {(t is double p ? $"{p / b:F4}" : "n/a")} | {(t is double q ? $"{Flops(b) / q / 1e9:F1}" : "n/a")} | {(t is double r ? $"{r / o:F2}×" : "n/a")} |"));
        }
        double bestOurs = batches.Where(b => b > 1).Min(b => ours[(b, ModelHeads.Sequence)] / b);
        string gain = (ours[(1, ModelHeads.Sequence)] / bestOurs).ToString("F2", CultureInfo.InvariantCulture);
        string theirGain = theirs.Count == batches.Length
            ? (theirs[1] / batches.Where(b => b > 1).Min(b => theirs[b] / b)).ToString("F2", CultureInfo.InvariantCulture) + "×" : "n/a";
        Console.WriteLine($"best per-sequence gain from batching (batch 1 against the best batch > 1): dnafm {gain}×, PyTorch {theirGain}");
        // What no batching can pass: a sequence's FLOPs at the square-GEMM rate this process reaches, and at the FMA peak.
        double square = ModelTrainBenchmark.MatmulGflops(ScalarType.Float32, CPU);
        var hardware = CpuPeak.Measure(threads, CpuFeatures.Flags);
        double single = Flops(1) / ours[(1, ModelHeads.Sequence)] / 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ceiling: batch 1 runs at {single:F0} GFLOP/s; square sgemm (2048³ or the largest under 0.5 s) in this process {square:F0} GFLOP/s → batching can gain at most {square / single:F2}×; " +
            $"theoretical fp32 FMA rate {hardware.Gflops:F0} GFLOP/s ({hardware.Cores} cores × {hardware.ClockGhz:F2} GHz measured × {hardware.FlopsPerCycle} FLOP/cycle, {hardware.Basis}) → at most {hardware.Gflops / single:F2}×; " +
            $"5× over batch 1 would need {5 * single:F0} GFLOP/s"));
    }

    /// <summary>benchmarks/python/ism_forward.py: seconds per forward by batch size (empty when /usr/bin/python3 has no torch).</summary>
    private static Dictionary<int, double> PyTorchForward(EncoderConfig c, IEnumerable<string> shapes, int threads, int reps, out string note)
    {
        var result = new Dictionary<int, double>();
        note = "not run (/usr/bin/python3 not found)";
        if (!File.Exists("/usr/bin/python3")) return result;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(RepoRoot(), "benchmarks", "python", "ism_forward.py"));
        foreach (var (k, v) in new[] { ("--shapes", string.Join(',', shapes)), ("--hidden", $"{c.HiddenSize}"), ("--layers", $"{c.NumHiddenLayers}"), ("--heads", $"{c.NumAttentionHeads}"),
                     ("--intermediate", $"{c.IntermediateSize}"), ("--threads", $"{threads}"), ("--reps", $"{reps}") })
        {
            psi.ArgumentList.Add(k);
            psi.ArgumentList.Add(v);
        }
        string env = FairReferenceEnvironment(psi);
        // The same wait and malloc policy as ours (inherited from this process's environment, set by dnafm's rules).
        foreach (var (k, v) in NativeAllocator.ChildEnvironment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (p.StandardOutput.ReadLine() is { } line) lines.Add(line);
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            note = $"failed ({p.ExitCode}): {stderr.Result.Split('\n').LastOrDefault(l => l.Length > 0)}";
            return result;
        }
        string torchVersion = "?", blas = "?";
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            result[r.GetProperty("batch").GetInt32()] = r.GetProperty("s_per_forward").GetDouble();
            torchVersion = r.GetProperty("torch").GetString() ?? "?";
            blas = r.GetProperty("blas").GetString() ?? "?";
        }
        note = $"torch {torchVersion} (/usr/bin/python3), nn.TransformerEncoder {c.NumHiddenLayers} × {c.HiddenSize}, {c.NumAttentionHeads} heads, FFN {c.IntermediateSize}, GELU, eval, no_grad; " +
               $"BLAS {blas}; {env}; {OpenMpWaitPolicy.PolicyVariable}={Environment.GetEnvironmentVariable(OpenMpWaitPolicy.PolicyVariable)}, malloc retained";
        return result;
    }

    /// <summary>
    /// This benchmark again in a child process that starts with dnafm's OpenMP wait policy (<see cref="OpenMpWaitPolicy"/>:
    /// PASSIVE unless the user chose one), which libgomp reads only when libtorch loads it. Without it libgomp's
    /// workers spin after every parallel region, and on a machine with any other load the one-row-per-call side,
    /// which runs thousands of small parallel regions, slows down several times more than the batched side.
    /// </summary>
    private static int RunAsDnafmWould(string[] args)
    {
        var host = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(typeof(IsmBenchmark).Assembly.Location);
        psi.ArgumentList.Add("ism");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[OpenMpWaitPolicy.PolicyVariable] = "PASSIVE";
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary>Counts progress reports: the runner reports once per batch, i.e. once per forward call.</summary>
    private sealed class Counter : IProgress<Core.ProgressInfo>
    {
        public int Count;
        public void Report(Core.ProgressInfo value) => Count++;
    }
}
