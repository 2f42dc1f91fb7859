using System.Globalization;
using DnaFoundation.Model.Runtime;
using TorchSharp;

namespace DnaFoundation.Cli.Hosting;

/// <summary><c>dnafm info</c>'s lines about matrix products: which BLAS serves libtorch's sgemm and why, and the rate it reaches now.</summary>
internal static class BlasReport
{
    public static IEnumerable<(string Key, string Value)> InfoRows()
    {
        var blas = BlasProvider.Current;
        yield return ("blas", $"{blas.Signature}{(blas.Library is null ? "" : $" ({blas.Library})")}");
        yield return ("blas choice", $"{blas.Reason}; {BlasProvider.Variable}={blas.Setting} (auto|mkl|openblas)");
        if (blas.SgemmGflops.Count > 0)
            yield return ("blas measured", string.Create(CultureInfo.InvariantCulture,
                $"sgemm {blas.ProbeSize}³ on {blas.ProbeThreads} threads: {string.Join(", ", blas.SgemmGflops.Select(kv => $"{kv.Key} {kv.Value:F0} GFLOP/s"))}")
                + (blas.FromCache ? $" (cached in {blas.CacheFile}; delete it to measure again)" : ""));
        int threads = torch.get_num_threads();
        BlasProvider.SetThreads(threads);
        double gflops = LibTorchInfo.SquareGemmGflops(torch.ScalarType.Float32, 1024, 3);
        yield return ("square gemm", string.Create(CultureInfo.InvariantCulture, $"fp32 1024³ through libtorch now: {gflops:F0} GFLOP/s on {threads} threads"));
        yield return ("cpu", $"{CpuFeatures.Model}; {CpuFeatures.MatrixFlags(CpuFeatures.Flags)}; ATen kernels {LibTorchInfo.CpuCapability() ?? "unknown"}");
    }
}
