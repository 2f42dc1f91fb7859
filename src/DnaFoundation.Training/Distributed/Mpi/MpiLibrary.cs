using System.Runtime.InteropServices;
using System.Text;
using DnaFoundation.Core;

namespace DnaFoundation.Training.Distributed.Mpi;

/// <summary>
/// The project's own binding to the C MPI library: the few functions data-parallel training needs, bound at run
/// time from the system's <c>libmpi</c> (MPI.NET targets MS-MPI only). Handles come from <see cref="MpiAbi"/>.
/// Every call returns the MPI error code; MPI's default handler (<c>MPI_ERRORS_ARE_FATAL</c>) aborts the job on a
/// communication error before we see one, so a non-zero code here is reported, not recovered from.
/// </summary>
internal sealed class MpiLibrary
{
    public const int ThreadMultiple = 3; // MPI_THREAD_MULTIPLE: 3 in both Open MPI and MPICH

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int InitThreadFn(nint argc, nint argv, int required, out int provided);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int FlagFn(out int flag);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int CommIntFn(nint comm, out int value);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int AllreduceFn(nint sendbuf, nint recvbuf, int count, nint datatype, nint op, nint comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int BcastFn(nint buffer, int count, nint datatype, int root, nint comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int CommFn(nint comm);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int AbortFn(nint comm, int errorcode);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int VoidFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] public delegate int LibraryVersionFn(byte[] version, out int length);

    public required string Path { get; init; }
    public required string Version { get; init; }
    public required MpiAbi Abi { get; init; }
    public required InitThreadFn InitThread { get; init; }
    public required FlagFn Initialized { get; init; }
    public required FlagFn Finalized { get; init; }
    public required CommIntFn CommRank { get; init; }
    public required CommIntFn CommSize { get; init; }
    public required AllreduceFn Allreduce { get; init; }
    public required BcastFn Bcast { get; init; }
    public required CommFn Barrier { get; init; }
    public required AbortFn Abort { get; init; }
    public required VoidFn Finalize { get; init; }

    /// <summary>Library names tried in order after <c>DNAFM_MPI_LIBRARY</c>: Open MPI 3–5, then the MPICH ABI.</summary>
    public static readonly string[] Candidates = ["libmpi.so.40", "libmpi.so.12", "libmpi.so", "libmpi.40.dylib", "libmpi.12.dylib"];

    private static readonly Lazy<MpiLibrary> Shared = new(Load);

    public static MpiLibrary Instance => Shared.Value;

    private static MpiLibrary Load()
    {
        var explicitPath = Environment.GetEnvironmentVariable("DNAFM_MPI_LIBRARY");
        var names = string.IsNullOrWhiteSpace(explicitPath) ? Candidates : [explicitPath];
        foreach (var name in names)
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            var version = ReadVersion(Bind<LibraryVersionFn>(handle, "MPI_Get_library_version", name));
            return new MpiLibrary
            {
                Path = name,
                Version = version,
                Abi = MpiAbi.Detect(handle, version),
                InitThread = Bind<InitThreadFn>(handle, "MPI_Init_thread", name),
                Initialized = Bind<FlagFn>(handle, "MPI_Initialized", name),
                Finalized = Bind<FlagFn>(handle, "MPI_Finalized", name),
                CommRank = Bind<CommIntFn>(handle, "MPI_Comm_rank", name),
                CommSize = Bind<CommIntFn>(handle, "MPI_Comm_size", name),
                Allreduce = Bind<AllreduceFn>(handle, "MPI_Allreduce", name),
                Bcast = Bind<BcastFn>(handle, "MPI_Bcast", name),
                Barrier = Bind<CommFn>(handle, "MPI_Barrier", name),
                Abort = Bind<AbortFn>(handle, "MPI_Abort", name),
                Finalize = Bind<VoidFn>(handle, "MPI_Finalize", name),
            };
        }
        throw new DnaInputException(
            $"no MPI library could be loaded (tried {string.Join(", ", names)}); install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin) " +
            "or point DNAFM_MPI_LIBRARY at your libmpi.so");
    }

    /// <summary>Throws when an MPI call returned an error code instead of aborting.</summary>
    public static void Check(int code, string call)
    {
        if (code != 0) throw new DistributedException($"{call} failed with MPI error code {code}");
    }

    private static T Bind<T>(nint handle, string symbol, string library) where T : Delegate =>
        NativeLibrary.TryGetExport(handle, symbol, out var address)
            ? Marshal.GetDelegateForFunctionPointer<T>(address)
            : throw new DnaInputException($"{library} does not export {symbol}: is it an MPI-3 library?");

    private static string ReadVersion(LibraryVersionFn getVersion)
    {
        var buffer = new byte[8192]; // MPI_MAX_LIBRARY_VERSION_STRING: 256 in Open MPI, 8192 in MPICH
        Check(getVersion(buffer, out int length), "MPI_Get_library_version");
        return Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).TrimEnd('\0', '\n', ' ');
    }
}
