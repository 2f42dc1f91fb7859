using System.Diagnostics;
using System.Runtime.InteropServices;
using DnaFoundation.Training.Distributed.Mpi;
using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// <see cref="ICommunicator"/> over MPI (<c>MPI_COMM_WORLD</c>): processes on one machine (shared memory) or many
/// (TCP, InfiniBand — whatever the MPI library was built with). CPU tensors are reduced in place through their
/// storage address; other devices are staged through host memory (use <see cref="NcclCommunicator"/> for CUDA).
/// MPI counts are <c>int</c>, so large buffers go in chunks. Every collective runs under a
/// <see cref="CollectiveWatchdog"/>: one that outlasts the timeout aborts every rank with a message.
/// MPI can be initialised once per process: create one communicator, dispose it at the end (that finalises MPI).
/// </summary>
public sealed class MpiCommunicator : ICommunicator
{
    /// <summary>Elements (bytes for broadcasts) per MPI call; int.MaxValue in production, small in tests.</summary>
    internal static long MaxChunk { get; set; } = int.MaxValue;

    private static readonly Lock Gate = new();
    private static bool everInitialized;

    private readonly MpiLibrary mpi;
    private readonly CollectiveWatchdog watchdog;
    private readonly TextWriter diagnostics;
    private readonly bool threadMultiple;
    private readonly int initThreadId = Environment.CurrentManagedThreadId;
    private bool disposed;

    public int Rank { get; }

    public int WorldSize { get; }

    public string Kind => "mpi";

    /// <summary>Implementation and library, e.g. "Open MPI v4.1.4 (libmpi.so.40)", for logs and run.json.</summary>
    public string Description => $"{mpi.Version.Split('\n')[0].Split(',')[0].Trim()} ({mpi.Path})";

    public TimeSpan CollectiveTimeout => watchdog.Timeout;

    private MpiCommunicator(MpiLibrary mpi, bool threadMultiple, TimeSpan collectiveTimeout, TextWriter diagnostics)
    {
        this.mpi = mpi;
        this.threadMultiple = threadMultiple;
        this.diagnostics = diagnostics;
        MpiLibrary.Check(mpi.CommRank(mpi.Abi.CommWorld, out int rank), "MPI_Comm_rank");
        MpiLibrary.Check(mpi.CommSize(mpi.Abi.CommWorld, out int size), "MPI_Comm_size");
        Rank = rank;
        WorldSize = size;
        watchdog = new CollectiveWatchdog(collectiveTimeout, message => AbortWorld(
            $"{message}: another rank has probably died or stopped responding (see its messages); " +
            "raise distributed.timeout_seconds if a rank legitimately needs longer (e.g. to write a large checkpoint)", 1));
    }

    /// <summary>
    /// Initialises MPI (asking for <c>MPI_THREAD_MULTIPLE</c>, so the watchdog thread may abort while the main thread
    /// waits in a collective). <paramref name="diagnostics"/> receives the last words of a rank before an abort
    /// (default: standard error — the process ends right after, so a logger would not get to flush).
    /// </summary>
    public static MpiCommunicator Initialize(TimeSpan collectiveTimeout, TextWriter? diagnostics = null)
    {
        var mpi = MpiLibrary.Instance;
        lock (Gate)
        {
            if (everInitialized)
                throw new InvalidOperationException("MPI can be initialised only once per process; reuse the first MpiCommunicator");
            MpiLibrary.Check(mpi.InitThread(0, 0, MpiLibrary.ThreadMultiple, out int provided), "MPI_Init_thread");
            everInitialized = true;
            return new MpiCommunicator(mpi, provided >= MpiLibrary.ThreadMultiple, collectiveTimeout, diagnostics ?? StandardError());
        }
    }

    /// <summary>
    /// File descriptor 2 itself, for a rank's last words before an abort when the host gave no writer: the process ends
    /// right after, so neither a logger nor a host's console redirection would get to flush them.
    /// </summary>
    private static TextWriter StandardError() =>
        new StreamWriter(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write)) { AutoFlush = true };

    public void AllReduceSum(torch.Tensor tensor)
    {
        var type = ReduceType(tensor.dtype);
        WithHostBuffer(tensor, host =>
        {
            nint data = TensorMemory.DataPointer(host);
            long elementSize = host.ElementSize;
            foreach (var (offset, count) in Chunks(host.numel(), MaxChunk))
                using (watchdog.Enter($"MPI all-reduce of {host.numel()} {host.dtype} elements"))
                    MpiLibrary.Check(mpi.Allreduce(mpi.Abi.InPlace, data + (nint)(offset * elementSize), count, type, mpi.Abi.OpSum, mpi.Abi.CommWorld), "MPI_Allreduce");
            GC.KeepAlive(host);
        }, copyBack: true);
    }

    public void Broadcast(torch.Tensor tensor, int root = 0)
    {
        if (root < 0 || root >= WorldSize) throw new ArgumentOutOfRangeException(nameof(root), $"root {root} is not a rank of a world of {WorldSize}");
        WithHostBuffer(tensor, host =>
        {
            nint data = TensorMemory.DataPointer(host);
            foreach (var (offset, count) in Chunks(TensorMemory.ByteCount(host), MaxChunk))
                using (watchdog.Enter($"MPI broadcast of {TensorMemory.ByteCount(host)} bytes from rank {root}"))
                    MpiLibrary.Check(mpi.Bcast(data + (nint)offset, count, mpi.Abi.Byte, root, mpi.Abi.CommWorld), "MPI_Bcast");
            GC.KeepAlive(host);
        }, copyBack: Rank != root);
    }

    public double AllReduceSum(double value) => ReduceDoubles([value])[0];

    public double[] AllGather(double value)
    {
        // Each rank fills its own slot and zeros elsewhere; the sum is then the gathered vector, exactly (x + 0 = x).
        var slots = new double[WorldSize];
        slots[Rank] = value;
        return ReduceDoubles(slots);
    }

    public void Barrier()
    {
        using (watchdog.Enter("MPI barrier"))
            MpiLibrary.Check(mpi.Barrier(mpi.Abi.CommWorld), "MPI_Barrier");
    }

    public void AbortWorld(string reason, int exitCode)
    {
        diagnostics.WriteLine($"error (rank {Rank} of {WorldSize}, aborting all ranks): {reason}");
        diagnostics.Flush();
        if (threadMultiple || Environment.CurrentManagedThreadId == initThreadId)
            mpi.Abort(mpi.Abi.CommWorld, exitCode);
        // MPI_Abort from another thread needs MPI_THREAD_MULTIPLE; without it, end this process: the launcher
        // sees a rank exit without MPI_Finalize and stops the others.
        Process.GetCurrentProcess().Kill();
    }

    private double[] ReduceDoubles(double[] values)
    {
        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        try
        {
            using (watchdog.Enter($"MPI all-reduce of {values.Length} double(s)"))
                MpiLibrary.Check(mpi.Allreduce(mpi.Abi.InPlace, pin.AddrOfPinnedObject(), values.Length, mpi.Abi.Double, mpi.Abi.OpSum, mpi.Abi.CommWorld), "MPI_Allreduce");
        }
        finally
        {
            pin.Free();
        }
        return values;
    }

    private nint ReduceType(torch.ScalarType dtype) => dtype switch
    {
        torch.ScalarType.Float32 => mpi.Abi.Float,
        torch.ScalarType.Float64 => mpi.Abi.Double,
        torch.ScalarType.Int64 => mpi.Abi.Int64,
        _ => throw new NotSupportedException(
            $"MPI has no sum for {dtype}; keep gradients in float32 (master weights) or use the NCCL backend on CUDA"),
    };

    /// <summary>Runs <paramref name="body"/> on a contiguous CPU tensor: the tensor itself when it is one, else a copy.</summary>
    private static void WithHostBuffer(torch.Tensor tensor, Action<torch.Tensor> body, bool copyBack)
    {
        if (tensor.device_type == DeviceType.CPU && tensor.is_contiguous())
        {
            body(tensor);
            return;
        }
        using var host = tensor.detach().to(torch.CPU).contiguous();
        body(host);
        if (copyBack)
            using (torch.no_grad())
                tensor.copy_(host);
    }

    /// <summary>Splits <paramref name="total"/> items into MPI calls of at most <paramref name="maxChunk"/> (≤ int.MaxValue).</summary>
    internal static IEnumerable<(long Offset, int Count)> Chunks(long total, long maxChunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        if (maxChunk is < 1 or > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(maxChunk));
        for (long offset = 0; offset < total; offset += maxChunk)
            yield return (offset, (int)Math.Min(maxChunk, total - offset));
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        watchdog.Dispose();
        MpiLibrary.Check(mpi.Finalized(out int done), "MPI_Finalized");
        if (done == 0) MpiLibrary.Check(mpi.Finalize(), "MPI_Finalize");
    }
}
