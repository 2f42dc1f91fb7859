using System.Runtime.InteropServices;

namespace DnaFoundation.Training.Distributed.Mpi;

/// <summary>
/// The one place that knows how an MPI implementation spells its handles. The MPI standard fixes function
/// names and signatures but not the ABI of handles, so a binary binding has to pick per implementation:
/// <list type="bullet">
/// <item>Open MPI: handles are pointers to exported globals (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>),
/// <c>MPI_IN_PLACE</c> is <c>(void*)1</c>.</item>
/// <item>MPICH and its ABI family (Intel MPI, MVAPICH, Cray MPICH): handles are 32-bit integer constants from
/// <c>mpi.h</c>, <c>MPI_IN_PLACE</c> is <c>(void*)-1</c>. We pass them as pointer-sized arguments; the x86-64 SysV
/// and AArch64 calling conventions put an <c>int</c> argument in the low half of the same register or stack slot,
/// so the callee reads the intended value. Written from MPICH's <c>mpi.h</c>; not run here (no MPICH installed).</item>
/// </list>
/// </summary>
internal sealed record MpiAbi(
    string Family,
    nint CommWorld,
    nint Byte,
    nint Float,
    nint Double,
    nint Int64,
    nint OpSum,
    nint InPlace)
{
    /// <summary>Picks the handle table from the loaded library and its <c>MPI_Get_library_version</c> text.</summary>
    public static MpiAbi Detect(nint library, string libraryVersion)
    {
        if (NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out var world))
            return new MpiAbi("Open MPI", world,
                Export(library, "ompi_mpi_byte"), Export(library, "ompi_mpi_float"), Export(library, "ompi_mpi_double"),
                Export(library, "ompi_mpi_long_long_int"), Export(library, "ompi_mpi_op_sum"), InPlace: 1);

        // MPICH mpi.h: MPI_COMM_WORLD, MPI_BYTE, MPI_FLOAT, MPI_DOUBLE, MPI_LONG_LONG_INT (int64 on LP64), MPI_SUM.
        if (MpichFamily.Any(name => libraryVersion.Contains(name, StringComparison.OrdinalIgnoreCase)))
            return new MpiAbi("MPICH", 0x44000000, 0x4c00010d, 0x4c00040a, 0x4c00080b, 0x4c000809, 0x58000003, InPlace: -1);

        throw new DistributedException(
            $"the MPI library ({libraryVersion.Split('\n')[0].Trim()}) is neither Open MPI nor of the MPICH family; " +
            "set DNAFM_MPI_LIBRARY to an Open MPI libmpi.so.40 or an MPICH libmpi.so.12");
    }

    private static readonly string[] MpichFamily = ["MPICH", "Intel(R) MPI", "MVAPICH", "CRAY MPICH"];

    private static nint Export(nint library, string name) =>
        NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new DistributedException($"the Open MPI library does not export {name}; is it Open MPI 3 or newer?");
}
