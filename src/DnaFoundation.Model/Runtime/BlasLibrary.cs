using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// One library that can serve libtorch's <c>sgemm_</c>: libtorch's own (the MKL linked into <c>libtorch_cpu.so</c>)
/// or a system OpenBLAS, loaded and ready to call (see <see cref="BlasProvider"/>).
/// </summary>
internal sealed partial class BlasLibrary
{
    public const string Mkl = "mkl", OpenBlas = "openblas";

    /// <summary>
    /// Where distributions put a pthreads OpenBLAS, most specific first: Debian/Ubuntu (libopenblas0-pthread),
    /// Fedora/RHEL (openblas-threads), Arch and openSUSE (/usr/lib*/libopenblas.so.0), Debian's alternatives link,
    /// then the loader's own search path (LD_LIBRARY_PATH, ld.so.cache: conda, /usr/local builds).
    /// </summary>
    public static readonly string[] OpenBlasCandidates =
    [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib64/libopenblasp.so.0",
        "/usr/lib/libopenblas.so.0",
        "/usr/lib64/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "libopenblas.so.0",
    ];

    private BlasLibrary(string name, string path, IntPtr handle, string version, string? kernels, IntPtr sgemm)
    {
        Name = name;
        Path = path;
        Handle = handle;
        Version = version;
        Kernels = kernels;
        Sgemm = sgemm;
    }

    /// <summary><see cref="Mkl"/> or <see cref="OpenBlas"/>.</summary>
    public string Name { get; }

    public string Path { get; }

    public IntPtr Handle { get; }

    public string Version { get; }

    /// <summary>The kernel set OpenBLAS picked for this CPU (e.g. Haswell, SkylakeX, Cooperlake); null for MKL, which does not say.</summary>
    public string? Kernels { get; }

    /// <summary>The library's own <c>sgemm_</c> (not the process-wide one).</summary>
    public IntPtr Sgemm { get; }

    public override string ToString() => $"{Name} {Version}{(Kernels is null ? "" : $" ({Kernels} kernels)")}";

    /// <summary>libtorch's own BLAS: <c>libtorch_cpu.so</c> beside the program, loaded (locally, as TorchSharp would) to reach its <c>sgemm_</c>.</summary>
    public static BlasLibrary? Bundled()
    {
        var path = TorchEnvironment.FindNative("libtorch_cpu.so");
        if (path is null) return null;
        var handle = NativeSymbols.Open(path, NativeSymbols.Lazy, out _);
        var sgemm = NativeSymbols.Find(handle, "sgemm_");
        if (handle == IntPtr.Zero || sgemm == IntPtr.Zero) return null;
        return new BlasLibrary(Mkl, path, handle, MklVersion(handle) ?? "unknown", null, sgemm);
    }

    /// <summary>
    /// The first system OpenBLAS of <see cref="OpenBlasCandidates"/> that loads and is not an OpenMP build (which
    /// would bring a second OpenMP runtime beside libtorch's); <paramref name="note"/> says what was skipped.
    /// </summary>
    public static BlasLibrary? SystemOpenBlas(out string note)
    {
        // OpenBLAS's idle pool threads spin for 2^28 cycles (≈ 0.1 s) before they sleep, on the cores libtorch's
        // OpenMP team wants for the element-wise work between two products; 2^4 makes them sleep at once. Measured on
        // the quick start's 2 × 64 model (fp32, 2 threads, Zen 4): 20–22 k tokens/s with OpenBLAS's default, 34–39 k
        // with this (MKL: 43–48 k); the 6x512 step is unchanged (741–801 against 748–750 tokens/s). Read at load.
        NativeSymbols.SetEnvironmentDefault("OPENBLAS_THREAD_TIMEOUT", "4");
        var skipped = new List<string>();
        foreach (var candidate in OpenBlasCandidates)
        {
            if (candidate.StartsWith('/') && !File.Exists(candidate)) continue;
            var handle = NativeSymbols.Open(candidate, NativeSymbols.Now, out _);
            if (handle == IntPtr.Zero) continue;
            var sgemm = NativeSymbols.Find(handle, "sgemm_");
            var config = CallString(NativeSymbols.Find(handle, "openblas_get_config"));
            if (sgemm == IntPtr.Zero || config is null) continue;
            var path = candidate.StartsWith('/') ? candidate : NativeSymbols.LibraryOf(sgemm) ?? candidate;
            if (CallInt(NativeSymbols.Find(handle, "openblas_get_parallel")) == 2)
            {
                skipped.Add($"{path} (an OpenMP build)");
                continue;
            }
            note = skipped.Count == 0 ? "" : "skipped " + string.Join(", ", skipped);
            var words = config.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return new BlasLibrary(OpenBlas, path, handle, words.Length > 1 ? words[1] : config,
                CallString(NativeSymbols.Find(handle, "openblas_get_corename")), sgemm);
        }
        note = skipped.Count == 0 ? "none found" : "skipped " + string.Join(", ", skipped);
        return null;
    }

    /// <summary>Whether libtorch_cpu.so is loaded in this process (by TorchSharp or by <see cref="Bundled"/>).</summary>
    public static bool LibTorchLoaded() =>
        TorchEnvironment.FindNative("libtorch_cpu.so") is string path && NativeSymbols.Open(path, NativeSymbols.Lazy | NativeSymbols.NoLoad, out _) != IntPtr.Zero;

    /// <summary>A <c>const char* f()</c> found by the process-wide lookup (e.g. an OpenBLAS put in front by LD_PRELOAD), or null.</summary>
    public static string? GlobalString(string symbol) => CallString(NativeSymbols.Find(IntPtr.Zero, symbol));

    /// <summary>OpenBLAS's build line (<c>openblas_get_config</c>), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64".</summary>
    public string? Config => Name == OpenBlas ? CallString(NativeSymbols.Find(Handle, "openblas_get_config")) : null;

    /// <summary>Sets OpenBLAS's thread pool size (a no-op for MKL, whose threads are libtorch's OpenMP team).</summary>
    public void SetThreads(int threads)
    {
        var f = Name == OpenBlas ? NativeSymbols.Find(Handle, "openblas_set_num_threads") : IntPtr.Zero;
        if (f != IntPtr.Zero && threads > 0) Marshal.GetDelegateForFunctionPointer<IntSetter>(f)(threads);
    }

    /// <summary>OpenBLAS's thread pool size, or null.</summary>
    public int? Threads => Name == OpenBlas ? CallInt(NativeSymbols.Find(Handle, "openblas_get_num_threads")) : null;

    /// <summary>
    /// The best GFLOP/s of a square single-precision product of order <paramref name="n"/> over
    /// <paramref name="repeats"/> calls after one warm-up, called straight into this library.
    /// </summary>
    public double MeasureSgemm(int n, int repeats)
    {
        var sgemm = Marshal.GetDelegateForFunctionPointer<SgemmFunction>(Sgemm);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (i % 17) * 0.0625f - 0.5f;
            b[i] = (i % 13) * 0.0625f - 0.375f;
        }
        byte noTranspose = (byte)'N';
        float alpha = 1, beta = 0;
        double best = 0;
        for (int r = 0; r <= repeats; r++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            sgemm(ref noTranspose, ref noTranspose, ref n, ref n, ref n, ref alpha, a, ref n, b, ref n, ref beta, c, ref n);
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (r > 0) best = Math.Max(best, 2.0 * n * n * n / seconds / 1e9);
        }
        return best;
    }

    private static string? MklVersion(IntPtr handle)
    {
        var f = NativeSymbols.Find(handle, "MKL_Get_Version_String");
        if (f == IntPtr.Zero) return null;
        var buffer = new byte[256];
        Marshal.GetDelegateForFunctionPointer<VersionString>(f)(buffer, buffer.Length);
        var text = Encoding.ASCII.GetString(buffer).TrimEnd('\0', ' ');
        var m = VersionNumber().Match(text);
        return m.Success ? m.Groups[1].Value : text;
    }

    private static string? CallString(IntPtr f) =>
        f == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(Marshal.GetDelegateForFunctionPointer<StringGetter>(f)())?.Trim();

    private static int? CallInt(IntPtr f) => f == IntPtr.Zero ? null : Marshal.GetDelegateForFunctionPointer<IntGetter>(f)();

    [GeneratedRegex(@"Version ([0-9][0-9.]*)")]
    private static partial Regex VersionNumber();

    // Fortran BLAS: every argument by reference; the matrices are pinned for the call.
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SgemmFunction(ref byte transA, ref byte transB, ref int m, ref int n, ref int k, ref float alpha,
        float[] a, ref int lda, float[] b, ref int ldb, ref float beta, float[] c, ref int ldc);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr StringGetter();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntGetter();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void IntSetter(int value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void VersionString(byte[] buffer, int length);
}
