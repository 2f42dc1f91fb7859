using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Training.Distributed;

/// <summary>Which communicator carries gradients between ranks.</summary>
public enum DistributedBackend
{
    /// <summary>World of one outside a launcher; under <c>mpirun</c>: NCCL on CUDA devices, MPI otherwise.</summary>
    Auto,
    /// <summary>Always a world of one, even under a launcher.</summary>
    Single,
    /// <summary>MPI for everything (CUDA tensors staged through host memory).</summary>
    Mpi,
    /// <summary>NCCL for CUDA tensors, MPI for start-up and host-side numbers. Untested here (no GPU).</summary>
    Nccl,
}

/// <summary>
/// The <c>distributed</c> section of a training config. The world size is not configured: it is what the launcher
/// started (<c>mpirun -np N</c>).
/// </summary>
public sealed record DistributedConfig(
    DistributedBackend Backend = DistributedBackend.Auto,
    // A rank waits in a collective while a peer works alone (rank 0 writing a checkpoint or evaluating), so the
    // default is generous; a dead or stuck peer is reported after this long.
    [property: Range(1.0, 86400.0)] double TimeoutSeconds = 1800,
    // Steps between cross-rank weight checksums (0 = never). A SHA-256 of a 117M-parameter model takes ~0.3 s.
    [property: Range(0, int.MaxValue)] int ChecksumEvery = 100)
{
    [System.Text.Json.Serialization.JsonIgnore] public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);
}
