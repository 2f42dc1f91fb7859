using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// What libtorch itself says about its build and threads (PyTorch's <c>torch.__config__.show()</c> and
/// <c>parallel_info()</c>, which TorchSharp does not expose), and the square-GEMM rate it reaches now: read by
/// <c>dnafm info</c> and by the benchmarks, so both sides of a comparison say which BLAS and kernels ran.
/// </summary>
public static class LibTorchInfo
{
    /// <summary><c>at::show_config()</c>: compiler, MKL/oneDNN versions, CPU capability, build flags; null where it cannot be called.</summary>
    public static string? BuildConfig() => Call("_ZN2at11show_configB5cxx11Ev");

    /// <summary><c>at::get_parallel_info()</c>: ATen/OpenMP thread counts, MKL and oneDNN versions, the relevant variables.</summary>
    public static string? ParallelInfo() => Call("_ZN2at17get_parallel_infoB5cxx11Ev");

    /// <summary>The vectorised kernel set ATen dispatches to on this CPU (e.g. AVX512, AVX2), from the build config.</summary>
    public static string? CpuCapability() =>
        BuildConfig()?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("- CPU capability usage:", StringComparison.Ordinal))?["- CPU capability usage:".Length..].Trim();

    /// <summary>
    /// Square matrix product GFLOP/s through libtorch (so through whatever serves its <c>sgemm_</c>) on the calling
    /// thread's torch thread count: the best of <paramref name="repeats"/> products after one warm-up.
    /// </summary>
    public static double SquareGemmGflops(ScalarType dtype, int n, int repeats)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n).to(dtype);
        var b = randn(n, n).to(dtype);
        _ = matmul(a, b).sum().to(ScalarType.Float32).item<float>();
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            _ = matmul(a, b).sum().to(ScalarType.Float32).item<float>();
            best = Math.Max(best, 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static string? Call(string mangled)
    {
        if (TorchEnvironment.TryLoad() is not null) return null;
        var path = TorchEnvironment.FindNative("libtorch_cpu.so");
        if (path is null) return null;
        var handle = NativeSymbols.Open(path, NativeSymbols.Lazy | NativeSymbols.NoLoad, out _);
        return handle == IntPtr.Zero ? null : NativeSymbols.CallStringFunction(NativeSymbols.Find(handle, mangled))?.Trim();
    }
}
