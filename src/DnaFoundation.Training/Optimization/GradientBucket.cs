using DnaFoundation.Training.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Optimization;

/// <summary>
/// One flat float32 buffer holding every master gradient: the single place where gradients cross ranks
/// (<see cref="ICommunicator.AllReduceSum(Tensor)"/> on the whole buffer, once per optimizer step), are unscaled,
/// checked for inf/NaN, measured and clipped. Under fp32 the parameters' <c>.grad</c> are views into the buffer, so
/// backward accumulates straight into it; under bf16/fp16 each micro-batch's compute-dtype gradients are added into
/// it in float32 (<see cref="AccumulateFromModel"/>), so accumulation never rounds to half precision.
/// </summary>
public sealed class GradientBucket : IDisposable
{
    private readonly IReadOnlyList<(Parameter Master, Parameter Compute, long Offset, long Count)> slots;
    private readonly bool separate;
    private readonly ICommunicator communicator;

    public GradientBucket(IReadOnlyList<(string Name, Parameter Master, Parameter Compute)> pairs, ICommunicator communicator)
    {
        this.communicator = communicator;
        long total = pairs.Sum(p => p.Master.numel());
        var device = pairs.Count > 0 ? pairs[0].Master.device : CPU;
        Flat = zeros(total, ScalarType.Float32, device);
        var list = new List<(Parameter, Parameter, long, long)>();
        long offset = 0;
        foreach (var (_, master, compute) in pairs)
        {
            long n = master.numel();
            master.grad = Flat.narrow(0, offset, n).view(master.shape);
            list.Add((master, compute, offset, n));
            offset += n;
        }
        slots = list;
        separate = pairs.Any(p => !ReferenceEquals(p.Master, p.Compute));
    }

    /// <summary>(numel) float32: all master gradients, in parameter order.</summary>
    public Tensor Flat { get; }

    /// <summary>Adds the model's compute-dtype gradients into the buffer and zeroes them (no-op under fp32).</summary>
    public void AccumulateFromModel()
    {
        if (!separate) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (_, compute, offset, n) in slots)
        {
            var g = compute.grad;
            if (g is null) continue;
            Flat.narrow(0, offset, n).add_(g.reshape(-1));
            g.zero_();
        }
    }

    /// <summary>
    /// Sums the buffer across ranks, divides by <paramref name="divisor"/> (world size × accumulation steps × loss
    /// scale) and returns the global L2 norm as a float32 scalar on the buffer's device (inf or NaN when any gradient
    /// is not finite). Nothing is read on the host: the caller decides when it needs the number.
    /// </summary>
    public Tensor Reduce(double divisor)
    {
        using var _ = no_grad();
        if (communicator.WorldSize > 1) communicator.AllReduceSum(Flat);
        if (divisor != 1.0) Flat.div_(divisor);
        return Flat.norm();
    }

    /// <summary>
    /// Scales the gradients so their norm is at most <paramref name="maxNorm"/> (as clip_grad_norm_; 0 disables),
    /// on the device: the coefficient min(1, maxNorm / (norm + 1e-6)) is computed in float64 from the float32 norm
    /// and applied in float32, the same arithmetic as reading the norm on the host, so results are bit-identical.
    /// A non-finite norm leaves the gradients as they are (the step is skipped or the run fails).
    /// </summary>
    public void Clip(Tensor norm, double maxNorm)
    {
        if (maxNorm <= 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (maxNormOnDevice is null || clipAt != maxNorm)
        {
            maxNormOnDevice?.Dispose();
            maxNormOnDevice = tensor(maxNorm, ScalarType.Float64, Flat.device).DetachFromDisposeScope(); // once: no copy per step
            clipAt = maxNorm;
        }
        var n = norm.to(ScalarType.Float64);
        var coef = maxNormOnDevice.div(n.add(1e-6)).clamp_max_(1.0).masked_fill_(Finite(n).bitwise_not(), 1.0);
        Flat.mul_(coef);
    }

    /// <summary>
    /// isfinite as x − x == 0 (inf − inf and NaN − NaN are NaN): the same answer, from ops every device has kernels
    /// for (libtorch's isfinite goes through abs, which has no meta kernel in the C++ library).
    /// </summary>
    public static Tensor Finite(Tensor x) => x.sub(x).eq(0);

    private Tensor? maxNormOnDevice;
    private double clipAt;

    public void Zero()
    {
        using var _ = no_grad();
        Flat.zero_();
    }

    public void Dispose()
    {
        Flat.Dispose();
        maxNormOnDevice?.Dispose();
    }
}
