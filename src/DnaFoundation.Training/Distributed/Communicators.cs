using DnaFoundation.Core;
using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>Creates the communicator a run uses, from the config and what the launcher put in the environment.</summary>
public static class Communicators
{
    /// <summary>
    /// A world of one unless launched by <c>mpirun</c>/<c>srun</c> (or the backend is forced). <paramref name="device"/>
    /// is where the model lives: under <see cref="DistributedBackend.Auto"/>, CUDA picks NCCL.
    /// </summary>
    public static ICommunicator Create(DistributedConfig config, torch.Device device, MpiLaunch? launch = null, TextWriter? diagnostics = null)
    {
        launch ??= MpiLaunch.FromEnvironment();
        bool cuda = device.type == DeviceType.CUDA;
        var backend = config.Backend switch
        {
            DistributedBackend.Auto when !launch.Launched => DistributedBackend.Single,
            DistributedBackend.Auto => cuda ? DistributedBackend.Nccl : DistributedBackend.Mpi,
            var b => b,
        };
        switch (backend)
        {
            case DistributedBackend.Single:
                return SingleProcessCommunicator.Instance;
            case DistributedBackend.Mpi:
                return MpiCommunicator.Initialize(config.Timeout, diagnostics);
            default:
                if (!cuda)
                    throw new DnaInputException($"distributed.backend nccl needs a CUDA device, but the run uses {device}; use backend mpi");
                var mpi = MpiCommunicator.Initialize(config.Timeout, diagnostics);
                try
                {
                    return new NcclCommunicator(mpi, device.index >= 0 ? device.index : launch.CudaDeviceIndex(torch.cuda.device_count()));
                }
                catch
                {
                    mpi.Dispose();
                    throw;
                }
        }
    }
}
