using System.Diagnostics;
using DnaFoundation.Training.Optimization;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// Data parallelism for a plain float32 training loop (fine-tuning, tests, benchmarks) in a few calls, so the loop
/// never touches MPI. The <see cref="Trainer"/> does the same through its own <see cref="GradientBucket"/>.
/// <code>
/// using var dp = new DataParallel(communicator, model, config);  // rank 0's weights to every rank
/// // per step: dp.ZeroGradients(); forward/backward over this rank's micro-batches (loss / accumulation), then
/// dp.AverageGradients();                                         // mean over ranks, before clipping and optimizer.step()
/// dp.CheckWeights(step);                                         // every checksum_every steps: replicas still identical?
/// </code>
/// The global batch is micro-batch × accumulation × world size; each rank must read its own part of the data.
/// In a world of one every call but <see cref="ZeroGradients"/> returns at once.
/// </summary>
public sealed class DataParallel : IDisposable
{
    private readonly Module model;
    private readonly DistributedConfig config;
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> trainable;
    private readonly GradientBucket? bucket;
    private readonly Stopwatch communication = new();

    public DataParallel(ICommunicator communicator, Module model, DistributedConfig config)
    {
        Communicator = communicator;
        this.model = model;
        this.config = config;
        trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        if (communicator.WorldSize == 1) return;
        communication.Start();
        WeightSync.BroadcastFrom(communicator, model);
        communication.Stop();
        bucket = new GradientBucket(trainable.Select(p => (p.Name, p.Parameter, p.Parameter)).ToList(), communicator);
    }

    public ICommunicator Communicator { get; }

    public int Rank => Communicator.Rank;

    public int WorldSize => Communicator.WorldSize;

    /// <summary>Only rank 0 writes logs, metrics and checkpoints.</summary>
    public bool IsRoot => Communicator.Rank == 0;

    /// <summary>Wall time spent in collectives so far (weight broadcast, gradient all-reduce, checksums).</summary>
    public TimeSpan CommunicationTime => communication.Elapsed;

    /// <summary>Bytes all-reduced per step (0 in a world of one).</summary>
    public long GradientBytes => bucket is null ? 0 : bucket.Flat.numel() * bucket.Flat.ElementSize;

    /// <summary>Zeros the gradients in place, keeping them views of the bucket (never set them to null).</summary>
    public void ZeroGradients()
    {
        if (bucket is not null)
        {
            bucket.Zero();
            return;
        }
        using var _ = no_grad();
        foreach (var (_, p) in trainable)
            p.grad?.zero_();
    }

    /// <summary>Replaces every rank's gradients by their mean over ranks. Call once per optimizer step.</summary>
    public void AverageGradients()
    {
        if (bucket is null) return;
        CheckStillInBucket();
        communication.Start();
        // Reduce divides after summing; division is correctly rounded and exact for a power-of-two world, which
        // keeps 2 ranks bitwise equal to one process accumulating their micro-batches.
        using var _ = bucket.Reduce(WorldSize);
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

    /// <summary>
    /// A gradient replaced or cleared behind the bucket's back (<c>module.zero_grad()</c> sets them to null, and
    /// backward then allocates new ones) would silently drop out of the all-reduce: refuse instead.
    /// </summary>
    private void CheckStillInBucket()
    {
        nint expected = TensorMemory.Address(bucket!.Flat);
        foreach (var (name, p) in trainable)
        {
            using var grad = p.grad;
            if (grad is null || TensorMemory.Address(grad) != expected)
                throw new InvalidOperationException(
                    $"the gradient of '{name}' is no longer a view of the gradient bucket (was it set to null, e.g. by module.zero_grad()?); " +
                    "clear gradients with DataParallel.ZeroGradients()");
            expected += (nint)(p.numel() * bucket.Flat.ElementSize);
        }
    }

    public void Dispose() => bucket?.Dispose();
}
