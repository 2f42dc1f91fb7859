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
    /// scale) and returns the global L2 norm (inf or NaN when any gradient is not finite).
    /// </summary>
    public double Reduce(double divisor)
    {
        using var _ = no_grad();
        if (communicator.WorldSize > 1) communicator.AllReduceSum(Flat);
        if (divisor != 1.0) Flat.div_(divisor);
        using var norm = Flat.norm();
        return norm.item<float>();
    }

    /// <summary>Scales the gradients so their norm is at most <paramref name="maxNorm"/> (as clip_grad_norm_); 0 disables.</summary>
    public void Clip(double norm, double maxNorm)
    {
        if (maxNorm <= 0 || !double.IsFinite(norm)) return;
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0)
        {
            using var _ = no_grad();
            Flat.mul_(coef);
        }
    }

    public void Zero()
    {
        using var _ = no_grad();
        Flat.zero_();
    }

    public void Dispose() => Flat.Dispose();
}
