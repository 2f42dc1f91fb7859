using DnaFoundation.Model.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Precision;

/// <summary>The number format of a run's forward and backward passes; <see cref="Auto"/> is resolved by <see cref="PrecisionPolicy.Resolve"/>.</summary>
public enum PrecisionMode
{
    Fp32,
    Bf16,
    Fp16,

    /// <summary>bf16 (float32 master weights) where the hardware computes it natively, fp32 elsewhere.</summary>
    Auto,
}

/// <summary>
/// The one object the trainer consults about precision (TorchSharp has no autocast). <c>fp32</c>: everything in
/// float32. <c>bf16</c>/<c>fp16</c>: matrices, embeddings and activations in the compute dtype, while LayerNorm
/// weights stay float32 (libtorch's mixed-dtype layer_norm normalises in float32), the optimizer updates float32
/// master weights, and the losses are computed from logits cast to float32. Softmax inside attention runs in
/// libtorch's fused kernels, which accumulate in float32 for both half types. fp16 adds dynamic loss scaling.
/// </summary>
public sealed record PrecisionPolicy
{
    public static readonly PrecisionPolicy Fp32 = new(PrecisionMode.Fp32);

    /// <summary>A policy for a concrete mode (fp32, bf16, fp16); <see cref="PrecisionMode.Auto"/> goes through <see cref="Resolve"/>.</summary>
    public PrecisionPolicy(PrecisionMode mode)
    {
        if (mode == PrecisionMode.Auto) throw new ArgumentException("precision auto must be resolved for a device first (PrecisionPolicy.Resolve)", nameof(mode));
        Mode = mode;
        Requested = mode;
        Reason = "as configured";
    }

    /// <summary>The mode the run computes in (never <see cref="PrecisionMode.Auto"/>).</summary>
    public PrecisionMode Mode { get; }

    /// <summary>What the config or command line asked for (may be <see cref="PrecisionMode.Auto"/>).</summary>
    public PrecisionMode Requested { get; private init; }

    /// <summary>Why this mode: "as configured", or what <c>auto</c> found.</summary>
    public string Reason { get; private init; }

    /// <summary>The mode's config name: fp32, bf16, fp16.</summary>
    public string Name => Mode.ToString().ToLowerInvariant();

    /// <summary>The name, with auto's reason when auto chose it: for logs, run records and plot titles.</summary>
    public string Description => Requested == PrecisionMode.Auto ? $"{Name} ({Reason})" : Name;

    /// <summary>The CPU flags that mean libtorch runs bf16 matrix products natively (oneDNN: AVX-512 BF16, AMX).</summary>
    public static readonly string[] NativeBf16CpuFlags = ["avx512_bf16", "amx_bf16"];

    /// <summary>
    /// The one place <c>precision: auto</c> is decided: bf16 with float32 master weights on a CPU with native bf16
    /// matrix instructions (<see cref="NativeBf16CpuFlags"/>: measured 2–3× the fp32 GEMM rate on a Zen 4 with
    /// AVX-512 BF16, benchmarks/README.md "model-train") or a CUDA GPU that computes bf16 (compute capability 8.0 or
    /// newer); fp32 everywhere else, where bf16 is emulated and slower than fp32. Other modes pass through unchanged.
    /// </summary>
    public static PrecisionPolicy Resolve(PrecisionMode requested, DeviceType device, IReadOnlySet<string> cpuFlags, bool cudaSupportsBf16)
    {
        if (requested != PrecisionMode.Auto) return new PrecisionPolicy(requested);
        var (mode, reason) = device switch
        {
            DeviceType.CUDA when cudaSupportsBf16 => (PrecisionMode.Bf16, "auto: the GPU computes bf16 natively"),
            DeviceType.CUDA => (PrecisionMode.Fp32, "auto: the GPU does not compute bf16 natively (compute capability below 8.0, or unknown)"),
            DeviceType.CPU when NativeBf16CpuFlags.FirstOrDefault(cpuFlags.Contains) is string flag => (PrecisionMode.Bf16, $"auto: the CPU has native bf16 ({flag})"),
            DeviceType.CPU => (PrecisionMode.Fp32, $"auto: the CPU has no native bf16 (none of {string.Join(", ", NativeBf16CpuFlags)})"),
            _ => (PrecisionMode.Fp32, $"auto: fp32 on {device}"),
        };
        return new PrecisionPolicy(mode) { Requested = PrecisionMode.Auto, Reason = reason };
    }

    /// <summary><see cref="Resolve"/> for <paramref name="device"/> on this machine (its CPU flags, its GPU's compute capability).</summary>
    public static PrecisionPolicy For(PrecisionMode requested, Device device) =>
        Resolve(requested, device.type, CpuFeatures.Flags, requested == PrecisionMode.Auto && device.type == DeviceType.CUDA && CudaDevices.Capability(Math.Max(0, (int)device.index))?.AtLeast(8, 0) == true);

    public ScalarType ComputeDtype => Mode switch
    {
        PrecisionMode.Bf16 => ScalarType.BFloat16,
        PrecisionMode.Fp16 => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    /// <summary>The optimizer works on float32 copies of the weights (true unless fp32).</summary>
    public bool UsesMasterWeights => Mode != PrecisionMode.Fp32;

    public bool UsesLossScaling => Mode == PrecisionMode.Fp16;

    /// <summary>Modules whose weights stay float32 in the compute model.</summary>
    public static bool StaysFloat32(nn.Module module) => module is LayerNorm;

    /// <summary>Casts <paramref name="model"/> to the compute dtype in place, keeping normalisation modules in float32.</summary>
    public void CastModel(nn.Module model)
    {
        if (Mode == PrecisionMode.Fp32) return;
        model.to(ComputeDtype);
        foreach (var (_, m) in model.named_modules())
            if (StaysFloat32(m)) m.to(ScalarType.Float32);
    }
}
