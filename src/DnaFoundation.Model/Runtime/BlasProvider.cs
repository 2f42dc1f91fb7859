using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// Chooses the library behind libtorch's single-precision matrix products, once per process, before the first one.
/// libtorch 2.10 for Linux x86-64 carries its own MKL, and calls <c>sgemm_</c> through its procedure linkage table,
/// so a library loaded earlier with global symbol binding serves those calls instead (the dynamic linker searches
/// the global scope before libtorch's own). On AMD CPUs with full-width AVX-512 (Zen 5) MKL's sgemm takes a path
/// several times slower than OpenBLAS's AVX-512 kernels (67–80 against 307 GFLOP/s on 2 cores, a 1.65× faster
/// training step with OpenBLAS in front: issue 21); where AVX-512 runs on 256-bit units (Zen 4) or is absent (Zen 3)
/// the two are within ±30 % and MKL is better for small products (benchmarks/README.md, "model-train"). So
/// <see cref="Select"/> measures both where both are present (a square sgemm called straight into each library, a
/// few hundred milliseconds once per machine setup, then read from <see cref="BlasChoiceCache"/>) and puts OpenBLAS
/// in front only when it is at least <see cref="RequiredGain"/> faster. Without a system OpenBLAS, or on Windows and
/// macOS, nothing changes.
/// <c>dnafm</c> calls <see cref="Select"/> first thing in <c>Main</c> with <c>DNAFM_BLAS</c> (auto|mkl|openblas);
/// a program using the library calls it the same way before its first tensor operation.
/// </summary>
public static class BlasProvider
{
    public const string Variable = "DNAFM_BLAS";

    /// <summary>
    /// OpenBLAS must measure this much faster than libtorch's MKL on a large square product to be put in front. A
    /// large-product gain does not carry over to small ones: beside libtorch's OpenMP team, a second thread pool costs
    /// a small model's step more than the kernels gain (on a Zen 4 whose probe read 1.26×, OpenBLAS in front made the
    /// dnabert2-117m step 7 % faster, the 6x512 step no faster and the quick start's 2 × 64 model's step 20 % slower),
    /// and the probe itself varies by ±15 % between runs on a shared machine. Where OpenBLAS is several times faster
    /// (Zen 5: ≈ 4×) every model gains; in between, libtorch's own stays.
    /// </summary>
    public const double RequiredGain = 1.5;

    /// <summary>
    /// The share of all cores' time this process must have had during the measurement for it to count as taken on
    /// idle cores: both libraries busy-wait their threads, so an undisturbed probe uses nearly all of it.
    /// </summary>
    private const double BusyShare = 0.75;

    private static readonly object gate = new();
    private static readonly Lazy<BlasLibrary?> bundled = new(BlasLibrary.Bundled);
    private static Decision? decision;
    private static BlasLibrary? routed;

    private sealed record Decision(string Setting, string Reason, BlasProbe? Probe, bool FromCache, string? CacheFile);

    /// <summary>
    /// Chooses and routes the provider for this process: <paramref name="setting"/> <c>auto</c> (null or empty too)
    /// measures (or reads the cached measurement) and takes the faster, <c>mkl</c> keeps libtorch's own,
    /// <c>openblas</c> puts a system OpenBLAS in front (an error when there is none). Call it before libtorch runs its
    /// first matrix product; later calls return the first call's selection. <paramref name="cacheFile"/> overrides
    /// the cache location (tests); by default <c>$XDG_CACHE_HOME/dnafm/blas.json</c>.
    /// </summary>
    /// <exception cref="DnaInputException">a setting other than auto, mkl, openblas; or openblas where none is installed.</exception>
    public static BlasSelection Select(string? setting, string? cacheFile = null)
    {
        var mode = Parse(setting);
        lock (gate)
        {
            if (decision is not null) return Current;
            decision = Decide(mode, cacheFile ?? BlasChoiceCache.DefaultFile());
            return Current;
        }
    }

    /// <summary>What serves <c>sgemm_</c> in this process now (the process-wide symbol lookup, so an <c>LD_PRELOAD</c> shows too).</summary>
    public static BlasSelection Current
    {
        get
        {
            var d = decision ?? new Decision("none", $"libtorch's own ({nameof(BlasProvider)}.{nameof(Select)} was not called)", null, false, null);
            if (!NativeSymbols.Supported)
                return Make(d with { Reason = "not Linux x86-64: libtorch's own BLAS" }, "libtorch", TorchEnvironment.LibTorchVersion, null, null);
            var front = NativeSymbols.LibraryOf(NativeSymbols.Find(IntPtr.Zero, "sgemm_"));
            if (front is null || IsLibTorch(front))
            {
                // Only a loaded libtorch is asked for its MKL version: a command that never touches tensors does not load it for this.
                var mkl = bundled.IsValueCreated || BlasLibrary.LibTorchLoaded() ? bundled.Value : null;
                return Make(d, BlasLibrary.Mkl, mkl?.Version ?? "(libtorch not loaded)", null, mkl?.Path ?? front);
            }
            if (routed is not null && SameFile(front, routed.Path))
                return Make(d, BlasLibrary.OpenBlas, routed.Version, routed.Kernels, routed.Path);
            // Something else was put in front (LD_PRELOAD, or a global load before Select).
            var config = BlasLibrary.GlobalString("openblas_get_config")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return Make(d with { Reason = $"{front} was put in front of libtorch before {nameof(BlasProvider)} chose (LD_PRELOAD?); {d.Reason}" },
                config is null ? "other" : BlasLibrary.OpenBlas, config is { Length: > 1 } ? config[1] : "unknown", BlasLibrary.GlobalString("openblas_get_corename"), front);
        }
    }

    /// <summary>Sizes a routed OpenBLAS's thread pool like libtorch's intra-op threads (MKL uses libtorch's OpenMP team already).</summary>
    public static void SetThreads(int threads) => routed?.SetThreads(threads);

    /// <summary>The routed OpenBLAS's pool size, or null under MKL.</summary>
    public static int? OpenBlasThreads => routed?.Threads;

    /// <summary>The first system OpenBLAS file of the known locations that exists (not loaded, not checked further), or null.</summary>
    public static string? SystemOpenBlasFile() =>
        NativeSymbols.Supported ? BlasLibrary.OpenBlasCandidates.FirstOrDefault(c => c.StartsWith('/') && File.Exists(c)) : null;

    /// <summary>The setting <paramref name="setting"/> names: auto (also null or empty), mkl or openblas.</summary>
    public static string Parse(string? setting) => (setting?.Trim().ToLowerInvariant()) switch
    {
        null or "" or "auto" => "auto",
        BlasLibrary.Mkl => BlasLibrary.Mkl,
        BlasLibrary.OpenBlas => BlasLibrary.OpenBlas,
        _ => throw new DnaInputException($"{Variable}='{setting}' is not allowed; allowed values: auto, mkl, openblas"),
    };

    private static Decision Decide(string mode, string? cacheFile)
    {
        if (!NativeSymbols.Supported)
            return mode == BlasLibrary.OpenBlas
                ? throw new DnaInputException($"{Variable}=openblas: routing libtorch's sgemm to a system OpenBLAS works on Linux x86-64 only; this system keeps libtorch's own BLAS")
                : new Decision(mode, "not Linux x86-64: libtorch's own BLAS", null, false, null);
        if (mode == BlasLibrary.Mkl) return new Decision(mode, $"{Variable}=mkl", null, false, null);
        var front = NativeSymbols.LibraryOf(NativeSymbols.Find(IntPtr.Zero, "sgemm_"));
        if (front is not null && !IsLibTorch(front))
            return new Decision(mode, $"left as it was: {front} already serves sgemm_", null, false, null);
        if (BlasLibrary.LibTorchLoaded())
            return mode == BlasLibrary.OpenBlas
                ? throw new InvalidOperationException($"{nameof(BlasProvider)}.{nameof(Select)} must run before libtorch is loaded (its first product binds sgemm_ for good)")
                : new Decision(mode, "left as it was: libtorch was loaded before the provider was chosen", null, false, null);

        var openBlas = BlasLibrary.SystemOpenBlas(out var found);
        if (openBlas is null)
            return mode == BlasLibrary.OpenBlas
                ? throw new DnaInputException($"{Variable}=openblas: no system OpenBLAS found ({found}; looked for {string.Join(", ", BlasLibrary.OpenBlasCandidates)}); " +
                    "install libopenblas0-pthread (Debian, Ubuntu), openblas-threads (Fedora) or openblas (Arch), or use " + Variable + "=auto")
                : new Decision(mode, $"no system OpenBLAS ({found}): libtorch's own", null, false, null);
        if (mode == BlasLibrary.OpenBlas) return Route(openBlas, new Decision(mode, $"{Variable}=openblas", null, false, null));

        var libtorch = TorchEnvironment.FindNative("libtorch_cpu.so");
        if (libtorch is null) return new Decision(mode, "libtorch_cpu.so not found beside the program to measure it: libtorch's own", null, false, null);
        string key = CacheKey(libtorch, openBlas);
        var cached = cacheFile is null ? null : BlasChoiceCache.Read(cacheFile, key);
        BlasProbe probe;
        string note = "";
        if (cached is { Settled: true })
            probe = cached;
        else
        {
            if (bundled.Value is not BlasLibrary mkl) return new Decision(mode, $"{libtorch} has no sgemm_ to measure: libtorch's own", null, false, null);
            var (measured, share) = Measure(mkl, openBlas);
            // Another process on the cores lowers the rates (OpenBLAS's more than MKL's): a busy measurement is merged
            // with the earlier ones (best rate each) and measured again next time, up to BlasProbe.TrustedAfter times.
            probe = (measured with { Quiet = share >= BusyShare }).MergedWith(cached);
            if (cacheFile is not null) BlasChoiceCache.Write(cacheFile, key, probe);
            if (!probe.Settled) note = string.Create(CultureInfo.InvariantCulture, $" (measured while the machine was busy: this process got {100 * share:F0} % of the cores; measured again next time)");
        }
        bool fromCache = ReferenceEquals(probe, cached);
        var (useOpenBlas, why) = Choose(probe);
        var decided = new Decision(mode, $"auto: {why}{note}", probe, fromCache, cacheFile);
        return useOpenBlas ? Route(openBlas, decided) : decided;
    }

    /// <summary>The rule: OpenBLAS when it measured at least <see cref="RequiredGain"/> × MKL's rate.</summary>
    internal static (bool OpenBlas, string Why) Choose(BlasProbe probe)
    {
        double mkl = probe.Gflops.GetValueOrDefault(BlasLibrary.Mkl), openBlas = probe.Gflops.GetValueOrDefault(BlasLibrary.OpenBlas);
        var ratio = string.Create(CultureInfo.InvariantCulture, $"{openBlas / Math.Max(mkl, 1e-9):F2}");
        return openBlas >= RequiredGain * mkl
            ? (true, $"OpenBLAS measured {ratio}× MKL's sgemm")
            : (false, string.Create(CultureInfo.InvariantCulture, $"OpenBLAS measured {ratio}× MKL's sgemm (needs {RequiredGain:F2}×): libtorch's own"));
    }

    /// <summary>Promotes the (locally loaded) OpenBLAS to global symbol binding, so libtorch's first sgemm_ call binds to it.</summary>
    private static Decision Route(BlasLibrary openBlas, Decision d)
    {
        if (NativeSymbols.Open(openBlas.Path, NativeSymbols.Now | NativeSymbols.Global | NativeSymbols.NoLoad, out var error) == IntPtr.Zero)
            return d with { Reason = $"{d.Reason}; but {openBlas.Path} could not be made global ({error}): libtorch's own" };
        routed = openBlas;
        return d;
    }

    /// <summary>
    /// Square sgemm, called straight into each library on all cores (both libraries' default), interleaved over two
    /// rounds and the best call kept. The order is the largest of 512–2048 whose product takes ≈ 15 ms here, so a
    /// slow machine measures small and a many-core one large enough to use its cores.
    /// </summary>
    private static (BlasProbe Probe, double CpuShare) Measure(BlasLibrary mkl, BlasLibrary openBlas)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        double warm = mkl.MeasureSgemm(512, 1);
        int n = 512;
        foreach (int size in new[] { 768, 1024, 1536, 2048 })
            if (2.0 * size * size * size / (warm * 1e9) <= 0.015) n = size;
        double gMkl = 0, gOpen = 0;
        for (int round = 0; round < 2; round++)
        {
            gMkl = Math.Max(gMkl, mkl.MeasureSgemm(n, 2));
            gOpen = Math.Max(gOpen, openBlas.MeasureSgemm(n, 2));
        }
        double share = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / (clock.Elapsed.TotalSeconds * Environment.ProcessorCount);
        return (new BlasProbe(new Dictionary<string, double> { [BlasLibrary.Mkl] = gMkl, [BlasLibrary.OpenBlas] = gOpen }, n, Environment.ProcessorCount), share);
    }

    /// <summary>What the measurement depends on: the CPU, the cores, both libraries, and the variables that change their kernels or threads.</summary>
    private static string CacheKey(string libtorch, BlasLibrary openBlas)
    {
        static string FileId(string path)
        {
            var f = new FileInfo(path);
            var target = f.Exists ? f.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? f : f;
            return $"{target.FullName}:{(target.Exists ? target.Length : 0)}";
        }
        var env = string.Join(';', new[] { "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE" }
            .Select(v => Environment.GetEnvironmentVariable(v) is string s ? $"{v}={s}" : null).Where(s => s is not null));
        return $"cpu={CpuFeatures.Model}|cores={Environment.ProcessorCount}|libtorch={TorchEnvironment.LibTorchVersion}@{FileId(libtorch)}|openblas={openBlas.Config}@{FileId(openBlas.Path)}|env={env}";
    }

    private static BlasSelection Make(Decision d, string provider, string version, string? kernels, string? library) => new()
    {
        Provider = provider,
        Version = version,
        Kernels = kernels,
        Library = library,
        Setting = d.Setting,
        Reason = d.Reason,
        SgemmGflops = d.Probe?.Gflops ?? new Dictionary<string, double>(),
        ProbeSize = d.Probe?.Size ?? 0,
        ProbeThreads = d.Probe?.Threads ?? 0,
        FromCache = d.FromCache,
        CacheFile = d.CacheFile,
    };

    private static bool IsLibTorch(string path) => Path.GetFileName(path) == "libtorch_cpu.so";

    private static bool SameFile(string a, string b)
    {
        static string Real(string p) => new FileInfo(p).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(p);
        return Real(a) == Real(b);
    }
}
