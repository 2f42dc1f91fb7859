using DnaFoundation.Training.Distributed.Nccl;
using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> for CUDA tensors over NCCL, started through MPI as Horovod does: rank 0 makes the
/// <c>ncclUniqueId</c>, MPI broadcasts it, every rank calls <c>ncclCommInitRank</c> on its device. CUDA tensors go
/// through <c>ncclAllReduce</c>/<c>ncclBroadcast</c> on the legacy default stream (stream 0, the stream TorchSharp's
/// kernels use), followed by a device synchronise so the result is ready and a hang is caught by the watchdog;
/// CPU tensors and scalar numbers go through MPI.
/// UNTESTED: written against NVIDIA's documented NCCL 2 API, never run (no GPU here). See docs/distributed.md.
/// </summary>
public sealed class NcclCommunicator : ICommunicator
{
    private readonly MpiCommunicator mpi;
    private readonly NcclLibrary nccl;
    private readonly CollectiveWatchdog watchdog;
    private readonly torch.Device device;
    private nint comm;

    public NcclCommunicator(MpiCommunicator mpi, int cudaDevice)
    {
        this.mpi = mpi;
        nccl = NcclLibrary.Instance;
        device = new torch.Device(DeviceType.CUDA, cudaDevice);
        watchdog = new CollectiveWatchdog(mpi.CollectiveTimeout, message => mpi.AbortWorld($"{message} (NCCL)", 1));

        var id = new NcclUniqueId();
        if (mpi.Rank == 0) nccl.Check(nccl.GetUniqueId(out id), "ncclGetUniqueId");
        using (var bytes = torch.tensor(((ReadOnlySpan<byte>)id).ToArray(), torch.ScalarType.Byte))
        {
            mpi.Broadcast(bytes, 0);
            bytes.bytes.CopyTo(id);
        }
        nccl.Check(nccl.CudaSetDevice(cudaDevice), "cudaSetDevice");
        using (watchdog.Enter("ncclCommInitRank"))
            nccl.Check(nccl.CommInitRank(out comm, mpi.WorldSize, id, mpi.Rank), "ncclCommInitRank");
    }

    public int Rank => mpi.Rank;

    public int WorldSize => mpi.WorldSize;

    public string Kind => "nccl";

    public void AllReduceSum(torch.Tensor tensor)
    {
        if (tensor.device_type != DeviceType.CUDA)
        {
            mpi.AllReduceSum(tensor);
            return;
        }
        nint data = TensorMemory.DataPointer(tensor);
        Run($"ncclAllReduce of {tensor.numel()} {tensor.dtype} elements", () =>
            nccl.AllReduce(data, data, (nuint)tensor.numel(), NcclLibrary.DataType(tensor.dtype), NcclLibrary.OpSum, comm, 0));
        GC.KeepAlive(tensor);
    }

    public void Broadcast(torch.Tensor tensor, int root = 0)
    {
        if (tensor.device_type != DeviceType.CUDA)
        {
            mpi.Broadcast(tensor, root);
            return;
        }
        nint data = TensorMemory.DataPointer(tensor);
        // Bytes, so every dtype (including bool) can be broadcast.
        Run($"ncclBroadcast of {TensorMemory.ByteCount(tensor)} bytes from rank {root}", () =>
            nccl.Broadcast(data, data, (nuint)TensorMemory.ByteCount(tensor), NcclLibrary.DataType(torch.ScalarType.Byte), root, comm, 0));
        GC.KeepAlive(tensor);
    }

    public double AllReduceSum(double value) => mpi.AllReduceSum(value);

    public double[] AllGather(double value) => mpi.AllGather(value);

    public void Barrier() => mpi.Barrier();

    public void AbortWorld(string reason, int exitCode) => mpi.AbortWorld(reason, exitCode);

    private void Run(string what, Func<int> enqueue)
    {
        using (watchdog.Enter(what))
        {
            nccl.Check(enqueue(), what);
            torch.cuda.synchronize(device);
            nccl.Check(nccl.CommGetAsyncError(comm, out int asyncError), "ncclCommGetAsyncError");
            nccl.Check(asyncError, what);
        }
    }

    public void Dispose()
    {
        watchdog.Dispose();
        if (comm != 0) nccl.CommDestroy(comm);
        comm = 0;
        mpi.Dispose();
    }
}
