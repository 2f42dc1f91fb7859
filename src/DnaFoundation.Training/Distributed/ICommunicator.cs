using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// How data-parallel ranks talk. The trainer only ever calls this interface: a world of one by default
/// (<see cref="SingleProcessCommunicator"/>), MPI between processes and nodes, NCCL for CUDA tensors.
/// Collective calls must be made by every rank in the same order.
/// </summary>
public interface ICommunicator : IDisposable
{
    int Rank { get; }

    int WorldSize { get; }

    bool IsRoot => Rank == 0;

    /// <summary>Short name for logs and run.json: "single", "mpi", "nccl".</summary>
    string Kind { get; }

    /// <summary>Sums <paramref name="tensor"/> across ranks, in place (contiguous tensor).</summary>
    void AllReduceSum(torch.Tensor tensor);

    /// <summary>Copies <paramref name="tensor"/> from <paramref name="root"/> to every rank, in place.</summary>
    void Broadcast(torch.Tensor tensor, int root = 0);

    /// <summary>Sums one number per rank (losses, token counts, checksums) and returns it on every rank.</summary>
    double AllReduceSum(double value);

    /// <summary>Gathers one number per rank, ordered by rank, on every rank.</summary>
    double[] AllGather(double value);

    void Barrier();

    /// <summary>
    /// Ends the job on every rank after an unrecoverable error on this one, after writing <paramref name="reason"/>
    /// with this rank's number: without it, the other ranks would wait in their next collective. In a world of
    /// several it does not return. A world of one has nobody to stop: it returns at once and the caller rethrows.
    /// </summary>
    void AbortWorld(string reason, int exitCode);
}
