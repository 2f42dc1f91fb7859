using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Runtime;

/// <summary>The fused attention kernels behind <c>scaled_dot_product_attention</c>, numbered as libtorch's SDPBackend.</summary>
public enum AttentionKernel
{
    Math = 0,
    Flash = 1,
    MemoryEfficient = 2,
    CuDnn = 3,
}

/// <summary>What decides the kernel of one attention call: device, dtype, head size, mask, dropout, gradients.</summary>
public sealed record AttentionCall(DeviceType Device, ScalarType Dtype, int HeadDim, bool HasMask, double Dropout, bool RequiresGrad);

/// <summary>libtorch's process-wide switches that steer the choice (torch.backends.cuda.*, deterministic algorithms).</summary>
/// <param name="FlashEnabled">torch.backends.cuda.flash_sdp_enabled().</param>
/// <param name="MemoryEfficientEnabled">torch.backends.cuda.mem_efficient_sdp_enabled().</param>
/// <param name="MathEnabled">torch.backends.cuda.math_sdp_enabled().</param>
/// <param name="Deterministic">torch.are_deterministic_algorithms_enabled().</param>
/// <param name="CuDnnFirst">libtorch puts cuDNN attention first on sm90/sm100 with cuDNN newer than 9.15 (else last).</param>
public sealed record SdpSettings(bool FlashEnabled = true, bool MemoryEfficientEnabled = true, bool MathEnabled = true, bool Deterministic = false, bool CuDnnFirst = false)
{
    public static SdpSettings Current() => new(
        torch.backends.cuda.flash_sdp_enabled(), LibTorchContext.MemoryEfficientAttention, torch.backends.cuda.math_sdp_enabled(),
        LibTorchContext.DeterministicAlgorithms);
}

/// <summary>
/// Which attention kernel runs, decided explicitly. <see cref="Choose"/> states libtorch 2.10's dispatch rules
/// (aten/src/ATen/native/transformers/{cuda/sdp_utils.cpp, sdp_utils_cpp.cpp}) as a pure function, so each decision is
/// unit-tested on the CPU; <see cref="Observe"/> asks libtorch itself (<c>torch._fused_sdp_choice</c>, the function
/// <c>scaled_dot_product_attention</c> dispatches on) which kernel a real call takes, for the GPU report and for tests
/// that hold the rules to the library. What the model does about it:
/// <list type="bullet">
/// <item>No mask at all when a batch has no padding and no ALiBi, so flash attention can run (it takes no mask).</item>
/// <item>ALiBi's float bias rules flash out: with a bias the memory-efficient kernel (any float mask) runs on CUDA, in
/// the compute dtype; its table is kept 16-element aligned on CUDA (<see cref="BiasCapacity"/>) so libtorch does not
/// pad a copy of it in every layer.</item>
/// <item>Deterministic algorithms (exact resume) rule cuDNN attention out; flash and memory-efficient backward then
/// take their deterministic paths.</item>
/// <item>Attention dropout rules the CPU's fused kernel out (the CPU then runs the math kernel).</item>
/// </list>
/// </summary>
public static class AttentionKernels
{
    /// <summary>The kernel libtorch 2.10 runs for <paramref name="call"/>; <paramref name="gpu"/> is the CUDA device's capability.</summary>
    public static AttentionKernel Choose(AttentionCall call, SdpSettings settings, CudaCapability? gpu = null)
    {
        if (call.Device == DeviceType.CUDA)
        {
            var cap = gpu ?? throw new ArgumentException("a CUDA call needs the device's compute capability", nameof(gpu));
            if (settings.CuDnnFirst && CuDnnCan(call, settings, cap)) return AttentionKernel.CuDnn;
            if (settings.FlashEnabled && FlashCan(call, cap)) return AttentionKernel.Flash;
            if (settings.MemoryEfficientEnabled && MemoryEfficientCan(call, cap)) return AttentionKernel.MemoryEfficient;
            if (settings.MathEnabled) return AttentionKernel.Math;
            throw new InvalidOperationException($"no attention kernel for {call} on {cap} with the math kernel disabled");
        }
        // CPU: libtorch's own flash kernel (float, double, bf16, half; masks allowed) unless dropout is on.
        bool cpuFused = settings.FlashEnabled && call.Dropout == 0.0
            && call.Dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16 or ScalarType.Float16;
        if (cpuFused) return AttentionKernel.Flash;
        if (settings.MathEnabled) return AttentionKernel.Math;
        throw new InvalidOperationException($"no attention kernel for {call} with the math kernel disabled");
    }

    /// <summary>
    /// How many positions an ALiBi table holds for <paramref name="length"/> tokens: on CUDA a multiple of 16, the
    /// memory-efficient kernel's bias alignment (a narrower view of an aligned table is still aligned); elsewhere
    /// exactly the length.
    /// </summary>
    public static long BiasCapacity(long length, DeviceType device) => device == DeviceType.CUDA ? (length + 15) / 16 * 16 : length;

    private static bool FlashCan(AttentionCall c, CudaCapability cap)
    {
        if (c.HasMask || c.HeadDim > 256 || !cap.AtLeast(8, 0) || !cap.AtMost(12, 1)) return false;
        if (c.Dtype is not (ScalarType.Float16 or ScalarType.BFloat16)) return false;
        // sm86/89/120/121 cannot train flash with head_dim in (192, 224], or above 224 with dropout.
        bool consumer = (cap.AtLeast(8, 6) && cap.AtMost(8, 9)) || (cap.AtLeast(12, 0) && cap.AtMost(12, 1));
        if (consumer && c.RequiresGrad && !(c.HeadDim <= 192 || (c.Dropout == 0 && c.HeadDim > 224))) return false;
        return true;
    }

    private static bool MemoryEfficientCan(AttentionCall c, CudaCapability cap)
    {
        if (!cap.AtLeast(5, 0) || !cap.AtMost(12, 1)) return false;
        bool half = c.Dtype is ScalarType.Float16 or ScalarType.BFloat16;
        if (c.Dtype is not (ScalarType.Float16 or ScalarType.Float32) && !(c.Dtype == ScalarType.BFloat16 && cap.Major >= 8)) return false;
        // The GEMM alignment of the head size: tensor cores (sm80+, or half on sm70+) want 128 bits.
        bool tensorCores = cap.Major >= 8 || (cap.Major >= 7 && half);
        int alignment = Math.Max(cap.Major >= 8 ? 4 : 1, tensorCores ? 128 / (half ? 16 : 32) : 1);
        return c.HeadDim > 0 && c.HeadDim % alignment == 0;
    }

    private static bool CuDnnCan(AttentionCall c, SdpSettings s, CudaCapability cap) =>
        !s.Deterministic && cap.AtLeast(8, 0) && cap.AtMost(12, 1)
        && c.Dtype is ScalarType.Float16 or ScalarType.BFloat16
        && c.HeadDim % 8 == 0 && c.HeadDim <= 128 && c.Dropout * 16 == Math.Floor(c.Dropout * 16);

    private static readonly Lock gate = new();
    private static jit.CompilationUnit? probe;

    /// <summary>
    /// The kernel libtorch picks for these very tensors (it runs none): <c>torch._fused_sdp_choice</c>, reached
    /// through a one-line TorchScript function because TorchSharp binds no such call.
    /// </summary>
    public static AttentionKernel Observe(Tensor q, Tensor k, Tensor v, Tensor? mask, double dropout)
    {
        lock (gate)
        {
            probe ??= jit.compile("""
                def choice(q: Tensor, k: Tensor, v: Tensor, mask: Optional[Tensor], p: float) -> int:
                    return torch._fused_sdp_choice(q, k, v, mask, p, False)

                """);
            long n = probe.invoke<Scalar>("choice", q, k, v, mask, dropout).ToInt64();
            return Enum.IsDefined(typeof(AttentionKernel), (int)n) ? (AttentionKernel)n
                : throw new InvalidOperationException($"libtorch chose attention backend {n}, which this build does not know");
        }
    }
}
