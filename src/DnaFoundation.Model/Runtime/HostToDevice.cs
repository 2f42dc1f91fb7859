using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// Moves a loader batch's CPU tensors to the compute device. To a GPU the copy goes through page-locked (pinned) host
/// memory with <c>non_blocking</c>, so it is one DMA transfer queued on the current stream instead of a staged,
/// synchronous copy; libtorch's pinned-memory allocator keeps the host block alive until the queued copy has read it,
/// so the pinned tensor may be released at once. Elsewhere it is a plain <c>to(device)</c> (a no-op on the CPU).
/// </summary>
public static class HostToDevice
{
    /// <summary>How a host tensor goes to its target device: pinned first or not, copied without blocking or not.</summary>
    public sealed record Plan(bool Pin, bool NonBlocking);

    public static Plan For(DeviceType source, DeviceType target) =>
        source == DeviceType.CPU && target == DeviceType.CUDA ? new Plan(Pin: true, NonBlocking: true) : new Plan(false, false);

    /// <summary>The tensor on <paramref name="target"/> (the same tensor when it is already there).</summary>
    public static Tensor Copy(Tensor t, Device target)
    {
        var plan = For(t.device_type, target.type);
        if (!plan.Pin) return t.to(target);
        using var pinned = t.pin_memory();
        return pinned.to(target, non_blocking: plan.NonBlocking);
    }
}
