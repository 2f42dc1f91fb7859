using TorchSharp;
using TorchSharp.Modules;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// One flat buffer per (device, dtype) that every trainable parameter's <c>.grad</c> is a view into, so a step
/// needs one all-reduce per buffer instead of one per parameter (hundreds of small messages). Autograd adds into
/// an existing <c>.grad</c> in place, so after the first attach backward writes straight into the buffer, and
/// <c>optimizer.zero_grad()</c> (which zeros in place) keeps it. <see cref="AllReduceMean"/> re-attaches any
/// parameter whose gradient was replaced or cleared (e.g. <c>module.zero_grad()</c>, which sets it to null).
/// </summary>
public sealed class GradientBucket : IDisposable
{
    private sealed record Slot(Parameter Parameter, torch.Tensor View, nint Address);

    private readonly List<torch.Tensor> buffers = [];
    private readonly List<Slot> slots = [];

    public GradientBucket(IEnumerable<Parameter> parameters)
    {
        var seen = new HashSet<nint>();
        var trainable = parameters.Where(p => p.requires_grad && seen.Add(TensorMemory.Address(p))).ToList(); // tied weights once
        foreach (var group in trainable.GroupBy(p => (p.device.ToString(), p.dtype)))
        {
            long total = group.Sum(p => p.numel());
            var flat = torch.zeros(total, group.Key.dtype, group.First().device);
            long offset = 0;
            foreach (var p in group)
            {
                using var part = flat.narrow(0, offset, p.numel());
                var view = part.view(p.shape);
                slots.Add(new Slot(p, view, TensorMemory.Address(view)));
                offset += p.numel();
            }
            buffers.Add(flat);
        }
        Attach();
    }

    /// <summary>The flat buffers (one per device and dtype), in the order they are reduced.</summary>
    public IReadOnlyList<torch.Tensor> Buffers => buffers;

    public long ElementCount => buffers.Sum(b => b.numel());

    public long ByteCount => buffers.Sum(TensorMemory.ByteCount);

    /// <summary>Points every parameter's gradient at its view, keeping the values of a gradient already there.</summary>
    public void Attach()
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (var slot in slots)
        {
            var grad = slot.Parameter.grad;
            if (grad is not null && TensorMemory.Address(grad) == slot.Address) continue;
            if (grad is null) slot.View.zero_();
            else slot.View.copy_(grad);
            slot.Parameter.grad = slot.View;
        }
    }

    /// <summary>Sums the gradients of all ranks and divides by the world size: every rank ends with the mean.</summary>
    public void AllReduceMean(ICommunicator communicator)
    {
        Attach();
        foreach (var buffer in buffers)
        {
            communicator.AllReduceSum(buffer);
            // Division (not multiplication by 1/world) is correctly rounded; for a power-of-two world it is exact,
            // which keeps 2 ranks bitwise equal to one process accumulating their micro-batches.
            if (communicator.WorldSize > 1) buffer.div_(communicator.WorldSize);
        }
    }

    public void Dispose()
    {
        foreach (var slot in slots) slot.View.Dispose();
        foreach (var buffer in buffers) buffer.Dispose();
    }
}
