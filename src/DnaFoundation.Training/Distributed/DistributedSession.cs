using DnaFoundation.Model.Runtime;
using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// What a command needs to run as one rank of a data-parallel job, set up in one call before anything else:
/// the communicator (a world of one without a launcher), this rank's device and thread count, and whether it is
/// the rank that writes (logs, metrics, checkpoints, progress). Dispose at the very end: it finalises MPI.
/// </summary>
public sealed class DistributedSession : IDisposable
{
    private DistributedSession(ICommunicator communicator, DeviceChoice device, MpiLaunch launch)
    {
        Communicator = communicator;
        Device = device;
        Launch = launch;
    }

    public ICommunicator Communicator { get; }

    public DeviceChoice Device { get; }

    public MpiLaunch Launch { get; }

    /// <summary>Rank 0: the only rank that writes files and progress.</summary>
    public bool IsRoot => Communicator.IsRoot;

    /// <summary>
    /// Starts the session. <paramref name="device"/> and <paramref name="threads"/> are the command's (or config's)
    /// values. Under a launcher, no thread count (or 0) means the node's cores shared by the ranks on the node, and
    /// <c>cuda</c> without an index means <c>cuda:&lt;local rank mod devices&gt;</c>.
    /// </summary>
    public static DistributedSession Start(DistributedConfig config, string? device, int? threads, MpiLaunch? launch = null)
    {
        launch ??= MpiLaunch.FromEnvironment();
        var choice = DeviceChoice.Parse(device, ThreadsFor(launch, threads, Environment.ProcessorCount));
        bool indexGiven = device?.Contains(':', StringComparison.Ordinal) == true;
        if (launch.Launched && choice.IsCuda && !indexGiven)
            choice = choice with { Device = new torch.Device(DeviceType.CUDA, launch.CudaDeviceIndex(torch.cuda.device_count())) };
        return new DistributedSession(Communicators.Create(config, choice.Device, launch), choice, launch);
    }

    /// <summary>The thread count for this rank: the one given, else all cores, divided among a node's ranks under a launcher.</summary>
    public static int ThreadsFor(MpiLaunch launch, int? threads, int processorCount) =>
        threads is > 0 ? threads.Value : launch.Launched ? launch.DefaultThreads(processorCount) : processorCount;

    public void Dispose() => Communicator.Dispose();
}
