using System.Collections;
using System.Globalization;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// What the launcher told this process through its environment, read before MPI is initialised: whether we run
/// under <c>mpirun</c>/<c>mpiexec</c>/<c>srun</c> at all, and this rank's place on its node (to pick a GPU and a thread
/// count). Open MPI sets <c>OMPI_COMM_WORLD_*</c>; MPICH's Hydra and Intel MPI set <c>PMI_*</c> and <c>MPI_LOCAL*</c>;
/// PMIx launchers (Slurm <c>srun --mpi=pmix</c>, Open MPI 5) set <c>PMIX_RANK</c>.
/// </summary>
public sealed record MpiLaunch(int? WorldSize, int? WorldRank, int? LocalRank, int? LocalSize)
{
    /// <summary>True when a launcher started this process (the world may still be of size 1).</summary>
    public bool Launched => WorldSize is not null || WorldRank is not null;

    public static MpiLaunch FromEnvironment() => From(Environment.GetEnvironmentVariables());

    public static MpiLaunch From(IDictionary environment)
    {
        int? Read(params string[] names)
        {
            foreach (var name in names)
                if (environment[name] is string s && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v))
                    return v;
            return null;
        }

        return new MpiLaunch(
            WorldSize: Read("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE"),
            WorldRank: Read("OMPI_COMM_WORLD_RANK", "PMI_RANK", "MV2_COMM_WORLD_RANK", "PMIX_RANK"),
            LocalRank: Read("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"),
            LocalSize: Read("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "MV2_COMM_WORLD_LOCAL_SIZE"));
    }

    /// <summary>
    /// Torch threads for this rank when the user gave none: the node's cores shared by the ranks on it, so two
    /// ranks on a 2-core machine get one thread each instead of fighting over both.
    /// </summary>
    public int DefaultThreads(int processorCount) => Math.Max(1, processorCount / Math.Max(1, LocalSize ?? 1));

    /// <summary>The CUDA device of this rank when several ranks share a node: local rank modulo the devices.</summary>
    public int CudaDeviceIndex(int deviceCount) => deviceCount <= 0 ? 0 : (LocalRank ?? 0) % deviceCount;
}
