using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Precision;

/// <summary>
/// Whether a half-precision run has the hardware it needs. On a CPU, libtorch runs bf16 matrix products natively
/// only with AVX-512 BF16 or AMX (fp16 only with AVX-512 FP16 or AMX-FP16); elsewhere it emulates them, and a step is
/// far slower than in fp32 (measured on an AVX2 CPU: bf16 GEMM 1.3 GFLOP/s against ≈ 100 for fp32; benchmarks/README.md,
/// "model-train"). Users pick bf16 from GPU recipes, so the run says so at its start instead of crawling in silence.
/// </summary>
public static class PrecisionHardware
{
    /// <summary>A warning for <paramref name="mode"/> on <paramref name="device"/>, or null when it runs natively (or the flags are unknown).</summary>
    public static string? Warning(PrecisionMode mode, Device device, IReadOnlySet<string> cpuFlags)
    {
        if (mode is PrecisionMode.Fp32 or PrecisionMode.Auto || device.type != DeviceType.CPU || cpuFlags.Count == 0) return null;
        var (name, native) = mode == PrecisionMode.Bf16
            ? ("bf16", PrecisionPolicy.NativeBf16CpuFlags)
            : ("fp16", new[] { "avx512_fp16", "amx_fp16" });
        if (native.Any(cpuFlags.Contains)) return null;
        return $"precision {name} on a CPU without native {name} matrix instructions (none of {string.Join(", ", native)} in /proc/cpuinfo): " +
            $"libtorch emulates {name} matrix products, and a step runs many times slower than in fp32 (an AVX2 CPU measured 1.3 GFLOP/s for bf16 " +
            "against about 100 for fp32); use precision fp32 on this machine, or a GPU";
    }

    /// <summary>
    /// A warning for <paramref name="mode"/> on a CUDA device of capability <paramref name="gpu"/>, or null when its
    /// tensor cores run it (bf16 needs sm_80, Ampere or newer; fp16 sm_70) or the capability is unknown. bf16 runs
    /// without loss scaling and fp16 with it on any device (<see cref="PrecisionPolicy.UsesLossScaling"/>).
    /// </summary>
    public static string? CudaWarning(PrecisionMode mode, Model.Runtime.CudaCapability? gpu)
    {
        if (gpu is null || mode == PrecisionMode.Fp32) return null;
        var (name, major) = mode == PrecisionMode.Bf16 ? ("bf16", 8) : ("fp16", 7);
        return gpu.AtLeast(major, 0) ? null
            : $"precision {name} on a {gpu} GPU: its tensor cores need sm_{major}0 or newer, so {name} matrix products run slowly or not at all; use {(mode == PrecisionMode.Bf16 ? "fp16 (with loss scaling) or fp32" : "fp32")} on this GPU";
    }
}
