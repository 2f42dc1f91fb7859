using System.Diagnostics;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// Data parallelism for a training loop in three calls, so the trainer never touches MPI:
/// <code>
/// var dp = new DataParallel(communicator, model, config);   // rank 0's weights to every rank
/// // per step: forward/backward over this rank's micro-batches (loss / accumulation steps), then
/// dp.AverageGradients();                                     // mean over ranks, before clipping and optimizer.step()
/// dp.CheckWeights(step);                                     // every checksum_every steps: replicas still identical?
/// </code>
/// The global batch is micro-batch × accumulation × world size; each rank must read its own part of the data.
/// In a world of one every call returns at once.
/// </summary>
public sealed class DataParallel : IDisposable
{
    private readonly Module model;
    private readonly DistributedConfig config;
    private readonly GradientBucket? bucket;
    private readonly Stopwatch communication = new();

    public DataParallel(ICommunicator communicator, Module model, DistributedConfig config, IEnumerable<Parameter>? trainable = null)
    {
        Communicator = communicator;
        this.model = model;
        this.config = config;
        if (communicator.WorldSize == 1) return;
        communication.Start();
        WeightSync.BroadcastFrom(communicator, model);
        bucket = new GradientBucket(trainable ?? model.parameters());
        communication.Stop();
    }

    public ICommunicator Communicator { get; }

    public int Rank => Communicator.Rank;

    public int WorldSize => Communicator.WorldSize;

    /// <summary>Only rank 0 writes logs, metrics and checkpoints.</summary>
    public bool IsRoot => Communicator.Rank == 0;

    /// <summary>Wall time spent in collectives so far (weight broadcast, gradient all-reduce, checksums).</summary>
    public TimeSpan CommunicationTime => communication.Elapsed;

    /// <summary>Bytes all-reduced per step (0 in a world of one).</summary>
    public long GradientBytes => bucket?.ByteCount ?? 0;

    /// <summary>Replaces every rank's gradients by their mean over ranks. Call once per optimizer step.</summary>
    public void AverageGradients()
    {
        if (bucket is null) return;
        communication.Start();
        bucket.AllReduceMean(Communicator);
        communication.Stop();
    }

    /// <summary>Every <c>checksum_every</c> steps, stops every rank with a clear error if the replicas differ.</summary>
    public void CheckWeights(long step)
    {
        if (bucket is null || config.ChecksumEvery == 0 || step % config.ChecksumEvery != 0) return;
        communication.Start();
        WeightSync.VerifyIdentical(Communicator, model, step);
        communication.Stop();
    }

    /// <summary>Mean of a per-rank number (a loss) over ranks; collective.</summary>
    public double Mean(double local) => WorldSize == 1 ? local : Communicator.AllReduceSum(local) / WorldSize;

    /// <summary>Sum of a per-rank number (tokens seen) over ranks; collective.</summary>
    public double Sum(double local) => WorldSize == 1 ? local : Communicator.AllReduceSum(local);

    public void Dispose() => bucket?.Dispose();
}
