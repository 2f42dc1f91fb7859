using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DnaFoundation.Core;

namespace DnaFoundation.Training.Distributed.Nccl;

/// <summary><c>ncclUniqueId</c>: 128 opaque bytes (NCCL_UNIQUE_ID_BYTES), passed by value to <c>ncclCommInitRank</c>.</summary>
[InlineArray(128)]
internal struct NcclUniqueId
{
    private byte element;
}

/// <summary>
/// Binding to NVIDIA's NCCL 2 (<c>nccl.h</c>) and the one CUDA runtime call it needs (<c>cudaSetDevice</c>: a
/// communicator belongs to the device current at <c>ncclCommInitRank</c>). Signatures and enum values follow
/// <c>nccl.h</c> of NCCL 2.x (ncclResult_t, ncclDataType_t, ncclRedOp_t are C enums = int).
/// UNTESTED: there is no GPU on the machines this project is built on; see docs/distributed.md.
/// </summary>
internal sealed class NcclLibrary
{
    public const int Success = 0;
    public const int OpSum = 0;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int GetUniqueIdFn(out NcclUniqueId id);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int CommInitRankFn(out nint comm, int nranks, NcclUniqueId id, int rank);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int AllReduceFn(nint sendbuff, nint recvbuff, nuint count, int datatype, int op, nint comm, nint stream);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int BroadcastFn(nint sendbuff, nint recvbuff, nuint count, int datatype, int root, nint comm, nint stream);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int CommFn(nint comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int AsyncErrorFn(nint comm, out int asyncError);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate nint ErrorStringFn(int result);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int SetDeviceFn(int device);

    public required GetUniqueIdFn GetUniqueId { get; init; }
    public required CommInitRankFn CommInitRank { get; init; }
    public required AllReduceFn AllReduce { get; init; }
    public required BroadcastFn Broadcast { get; init; }
    public required CommFn CommDestroy { get; init; }
    public required AsyncErrorFn CommGetAsyncError { get; init; }
    public required ErrorStringFn GetErrorString { get; init; }
    public required SetDeviceFn CudaSetDevice { get; init; }

    private static readonly Lazy<NcclLibrary> Shared = new(Load);

    public static NcclLibrary Instance => Shared.Value;

    private static NcclLibrary Load()
    {
        var nccl = Open("DNAFM_NCCL_LIBRARY", ["libnccl.so.2", "libnccl.so"], "NCCL (e.g. the libnccl2 package or NVIDIA's HPC SDK)");
        var cudart = Open("DNAFM_CUDART_LIBRARY", ["libcudart.so.12", "libcudart.so.13", "libcudart.so.11.0", "libcudart.so"], "the CUDA runtime");
        return new NcclLibrary
        {
            GetUniqueId = Bind<GetUniqueIdFn>(nccl, "ncclGetUniqueId"),
            CommInitRank = Bind<CommInitRankFn>(nccl, "ncclCommInitRank"),
            AllReduce = Bind<AllReduceFn>(nccl, "ncclAllReduce"),
            Broadcast = Bind<BroadcastFn>(nccl, "ncclBroadcast"),
            CommDestroy = Bind<CommFn>(nccl, "ncclCommDestroy"),
            CommGetAsyncError = Bind<AsyncErrorFn>(nccl, "ncclCommGetAsyncError"),
            GetErrorString = Bind<ErrorStringFn>(nccl, "ncclGetErrorString"),
            CudaSetDevice = Bind<SetDeviceFn>(cudart, "cudaSetDevice"),
        };
    }

    public void Check(int result, string call)
    {
        if (result != Success)
            throw new DistributedException($"{call} failed: {Marshal.PtrToStringAnsi(GetErrorString(result)) ?? "unknown error"} (ncclResult_t {result})");
    }

    /// <summary>ncclDataType_t of a torch dtype.</summary>
    public static int DataType(TorchSharp.torch.ScalarType dtype) => dtype switch
    {
        TorchSharp.torch.ScalarType.Int8 => 0,
        TorchSharp.torch.ScalarType.Byte => 1,
        TorchSharp.torch.ScalarType.Int32 => 2,
        TorchSharp.torch.ScalarType.Int64 => 4,
        TorchSharp.torch.ScalarType.Float16 => 6,
        TorchSharp.torch.ScalarType.Float32 => 7,
        TorchSharp.torch.ScalarType.Float64 => 8,
        TorchSharp.torch.ScalarType.BFloat16 => 9,
        _ => throw new NotSupportedException($"NCCL has no data type for {dtype}"),
    };

    private static nint Open(string variable, string[] candidates, string what)
    {
        var explicitPath = Environment.GetEnvironmentVariable(variable);
        var names = string.IsNullOrWhiteSpace(explicitPath) ? candidates : [explicitPath];
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        throw new DnaInputException($"the NCCL backend needs {what}; none of {string.Join(", ", names)} could be loaded (set {variable} to its path, or use distributed.backend mpi)");
    }

    private static T Bind<T>(nint library, string symbol) where T : Delegate =>
        NativeLibrary.TryGetExport(library, symbol, out var address)
            ? Marshal.GetDelegateForFunctionPointer<T>(address)
            : throw new DnaInputException($"the loaded NCCL/CUDA library does not export {symbol} (NCCL 2.7 or newer is needed)");
}
