using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// The GEMMs of one model-train step at their own shapes (tokens = batch 32 × 128): each linear layer's forward
/// Y = X·Wᵀ and its two backward products dX = dY·W and dW = dYᵀ·X, timed alone and weighted by FLOPs, against the
/// square 2048³ rate of the same process. A step's "GEMM bound" from the square rate is only as good as this ratio.
/// </summary>
public sealed class GemmShapesBenchmark : IBenchmark
{
    public string Name => "gemm-shapes";

    public string Description => "The model-train step's GEMMs at their own shapes (forward + both backward products) vs the square-GEMM rate. Args: [--threads 2] [--reps 5]";

    private sealed record Linear(string Name, int In, int Out);

    public int Run(string[] args)
    {
        int threads = IntArg(args, "--threads", 2), reps = IntArg(args, "--reps", 5);
        set_num_threads(threads);
        const int tokens = 32 * 128;
        double square = Rate(2048, 2048, 2048, false, false, reps);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threads {threads}; tokens {tokens}; square 2048³ GEMM {square:F0} GFLOP/s; load average before: {LoadAverage()}"));
        Console.WriteLine();
        Console.WriteLine("| model | layer (in → out) | forward GFLOP/s | dX GFLOP/s | dW GFLOP/s | FLOP-weighted | ÷ square |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        var models = new[]
        {
            ("dnabert2-117m", 12, new[] { new Linear("Wqkv", 768, 2304), new Linear("attention out", 768, 768), new Linear("gated up", 768, 6144), new Linear("down", 3072, 768) }, new Linear("MLM decoder", 768, 4096)),
            ("6x512", 6, new[] { new Linear("Wqkv", 512, 1536), new Linear("attention out", 512, 512), new Linear("gated up", 512, 4096), new Linear("down", 2048, 512) }, new Linear("MLM decoder", 512, 4096)),
        };
        foreach (var (model, layers, perLayer, head) in models)
        {
            double flops = 0, seconds = 0;
            foreach (var (linear, count) in perLayer.Select(l => (l, layers)).Append((head, 1)))
            {
                double f = 2.0 * tokens * linear.In * linear.Out;
                double fwd = Rate(tokens, linear.In, linear.Out, false, true, reps);    // X (T×in) · Wᵀ (in×out)
                double dx = Rate(tokens, linear.Out, linear.In, false, false, reps);    // dY (T×out) · W (out×in)
                double dw = Rate(linear.Out, tokens, linear.In, true, false, reps);     // dYᵀ (out×T) · X (T×in)
                double s = f / 1e9 * (1 / fwd + 1 / dx + 1 / dw);
                flops += 3 * f * count;
                seconds += s * count;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {model} | {linear.Name} ({linear.In} → {linear.Out}) | {fwd:F0} | {dx:F0} | {dw:F0} | {3 * f / 1e9 / s:F0} | {3 * f / 1e9 / s / square:F2} |"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {model} | **all linear layers, one step** | | | | **{flops / 1e9 / seconds:F0}** | **{flops / 1e9 / seconds / square:F2}** ({seconds:F2} s) |"));
        }
        Console.WriteLine();
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    /// <summary>GFLOP/s of an (m×k)·(k×n) product, either operand given transposed (as autograd hands them over).</summary>
    private static double Rate(int m, int k, int n, bool transposeA, bool transposeB, int reps)
    {
        using var scope = NewDisposeScope();
        var a = transposeA ? randn(k, m).t() : randn(m, k);
        var b = transposeB ? randn(n, k).t() : randn(k, n);
        _ = matmul(a, b).sum().item<float>();
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            using var inner = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            var c = matmul(a, b);
            times[i] = sw.Elapsed.TotalSeconds;
            _ = c.sum().item<float>();
        }
        return 2.0 * m * k * n / Median(times) / 1e9;
    }
}
