using System.Diagnostics;
using System.Globalization;
using DnaFoundation.Model.Layers;
using TorchSharp;
using static TorchSharp.torch;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Attention alone, forward + backward, at the model-train shapes (batch 32 × 128 tokens, head width 64, an ALiBi
/// bias): libtorch's fused CPU kernel (what our fast path runs; math backend off), libtorch's math backend (flash
/// off: it materialises the probabilities inside libtorch), and the eager QKᵀ-softmax-V the PyTorch side of
/// model-train runs. Says how much of a training step attention is, next to the GEMM rate of the same process.
/// </summary>
public sealed class AttentionBenchmark : IBenchmark
{
    public string Name => "attention";

    public string Description => "SDPA fused vs libtorch math vs eager attention, forward + backward, at the model-train shapes. Args: [--threads 2] [--reps 5]";

    public int Run(string[] args)
    {
        int threads = IntArg(args, "--threads", 2), reps = IntArg(args, "--reps", 5);
        torch.set_num_threads(threads);
        const int batch = 32, tokens = 128, headDim = 64;
        Console.WriteLine($"threads {threads}; batch {batch} × {tokens} tokens, head width {headDim}, ALiBi bias; median of {reps} after 1 warm-up; load average before: {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| heads (model) | variant | forward + backward ms | GFLOP/s | share of the model's layer count × this |");
        Console.WriteLine("|---|---|---:|---:|---|");
        foreach (var (heads, layers, model) in new[] { (12, 12, "dnabert2-117m"), (8, 6, "6x512") })
        {
            double flops = 3 * 4.0 * batch * heads * (double)tokens * tokens * headDim;   // QKᵀ and PV, ×3 for backward
            foreach (var variant in new[] { "fused (our fast path)", "libtorch math", "eager" })
            {
                double ms = 1000 * Time(variant, heads, batch, tokens, headDim, reps);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {heads} ({model}) | {variant} | {ms:F1} | {flops / (ms / 1000) / 1e9:F1} | {layers} layers: {layers * ms / 1000:F2} s per step |"));
            }
        }
        Console.WriteLine();
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static double Time(string variant, int heads, int batch, int tokens, int headDim, int reps)
    {
        torch.manual_seed(0);
        using var q0 = randn(batch, heads, tokens, headDim);
        using var k0 = randn(batch, heads, tokens, headDim);
        using var v0 = randn(batch, heads, tokens, headDim);
        using var bias = AlibiBias.Build(heads, tokens, ScalarType.Float32, CPU);
        torch.backends.cuda.enable_math_sdp(variant != "fused (our fast path)");
        torch.backends.cuda.enable_flash_sdp(variant != "libtorch math");
        try
        {
            double Once()
            {
                using var scope = NewDisposeScope();
                var q = q0.detach().requires_grad_();
                var k = k0.detach().requires_grad_();
                var v = v0.detach().requires_grad_();
                var sw = Stopwatch.StartNew();
                Tensor context = variant == "eager"
                    ? matmul(nn.functional.softmax(matmul(q, k.transpose(-1, -2)) / Math.Sqrt(headDim) + bias, -1), v)
                    : nn.functional.scaled_dot_product_attention(q, k, v, bias);
                context.sum().backward();
                _ = q.grad!.sum().item<float>();
                return sw.Elapsed.TotalSeconds;
            }
            Once();
            return Median(Enumerable.Range(0, reps).Select(_ => Once()).ToList());
        }
        finally
        {
            torch.backends.cuda.enable_math_sdp(true);
            torch.backends.cuda.enable_flash_sdp(true);
        }
    }
}
