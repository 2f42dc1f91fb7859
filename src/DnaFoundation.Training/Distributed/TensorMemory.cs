using System.Runtime.InteropServices;
using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// Raw storage address of a tensor, for handing buffers to MPI and NCCL without copying. TorchSharp 0.107 keeps
/// its <c>THSTensor_data</c> entry internal and <c>Tensor.bytes</c> is CPU-only and capped at 2 GiB, so we call the
/// exported native function ourselves: it returns <c>at::Tensor::data_ptr()</c> (storage offset included), a host
/// address for CPU tensors and a device address for CUDA tensors.
/// </summary>
internal static class TensorMemory
{
    // DllImport, not LibraryImport: the argument is blittable, and LibraryImport would need unsafe code enabled.
    [DllImport("LibTorchSharp")]
    private static extern nint THSTensor_data(nint handle);

    /// <summary>Address of the first element; the tensor must stay alive (and contiguous) while it is used.</summary>
    public static nint DataPointer(torch.Tensor tensor)
    {
        if (!tensor.is_contiguous())
            throw new ArgumentException("collectives need a contiguous tensor (call .contiguous() first)", nameof(tensor));
        return Address(tensor);
    }

    /// <summary>Address of the first element, contiguous or not (to tell whether two tensors share memory).</summary>
    public static nint Address(torch.Tensor tensor)
    {
        var address = THSTensor_data(tensor.Handle);
        torch.CheckForErrors();
        return address;
    }

    public static long ByteCount(torch.Tensor tensor) => tensor.numel() * tensor.ElementSize;
}
