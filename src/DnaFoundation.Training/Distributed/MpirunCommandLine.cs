using System.Globalization;

namespace DnaFoundation.Training.Distributed;

/// <summary>Shared memory or TCP between the ranks of one machine.</summary>
public enum LocalTransport
{
    SharedMemory,
    Tcp,
}

/// <summary>
/// The <c>mpirun</c> (Open MPI) arguments for running N ranks on this machine with a chosen transport, as used by
/// the tests and the benchmark and shown in docs/distributed.md. Multi-node launches add <c>--hostfile</c>.
/// </summary>
public static class MpirunCommandLine
{
    /// <summary><c>mpirun</c> on the PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "mpirun"))
            .FirstOrDefault(File.Exists);

    public static IReadOnlyList<string> Arguments(int ranks, LocalTransport transport, IEnumerable<string> program) =>
    [
        "-np", ranks.ToString(CultureInfo.InvariantCulture),
        // Containers often run as root; more ranks than cores is fine for tests; no pinning, so ranks with one
        // torch thread each are free to share the cores with whatever else runs.
        "--allow-run-as-root", "--oversubscribe", "--bind-to", "none",
        // ob1 with an explicit BTL, so the transport is the one asked for (UCX, when installed, bypasses BTLs).
        "--mca", "pml", "ob1", "--mca", "btl", transport == LocalTransport.SharedMemory ? "self,vader" : "self,tcp",
        .. program,
    ];
}
