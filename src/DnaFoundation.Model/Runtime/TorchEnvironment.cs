using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// What torch this process has: versions, devices, and — when the native library does not load — why.
/// </summary>
public static class TorchEnvironment
{
    private static readonly Lazy<TorchBackend> backend = new(DetectBackend);

    /// <summary>
    /// The libtorch this process runs (cpu or cuda), found at run time from the native libraries it loaded: the same
    /// framework-dependent build runs NuGet's CPU libtorch or a CUDA one swapped in beside it, so no compile-time
    /// constant can tell.
    /// </summary>
    public static TorchBackend Backend => backend.Value;

    /// <summary>Loads the native library if needed; returns null on success, else a human diagnosis.</summary>
    public static string? TryLoad()
    {
        try
        {
            _ = torch.get_num_threads();
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
        {
            return Diagnose(e);
        }
    }

    /// <summary>Throws a clear error when torch cannot be loaded.</summary>
    public static void EnsureLoaded()
    {
        var problem = TryLoad();
        if (problem is not null) throw new InvalidOperationException(problem);
    }

    public static bool CudaAvailable() => TryLoad() is null && torch.cuda.is_available();

    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>
    /// The libtorch version: the loaded library's own (a PyTorch installation's version.py or a libtorch archive's
    /// build-version) when it has one, else the native package's the build referenced.
    /// </summary>
    public static string LibTorchVersion
    {
        get
        {
            if (Backend.LibraryDirectory is { } loadedFrom && TorchBackend.ReadVersion(loadedFrom) is { } loaded)
                return $"{loaded} ({loadedFrom})";
            var dir = AppContext.BaseDirectory;
            foreach (var f in Directory.EnumerateFiles(dir, "*.deps.json"))
            {
                var text = File.ReadAllText(f);
                foreach (var prefix in new[] { "\"libtorch-cpu-linux-x64/", "\"libtorch-cpu-win-x64/", "\"libtorch-cpu-osx-arm64/", "\"libtorch-cuda-12.8-linux-x64/", "\"libtorch-cuda-12.8/", "\"libtorch-cpu/" })
                {
                    int i = text.IndexOf(prefix, StringComparison.Ordinal);
                    if (i < 0) continue;
                    int start = i + prefix.Length;
                    int end = text.IndexOf('"', start);
                    return $"{text[start..end]} ({prefix.Trim('"', '/')})";
                }
            }
            return "unknown";
        }
    }

    private static TorchBackend DetectBackend()
    {
        if (TryLoad() is not null) return new TorchBackend("none", null, false);
        bool usable = torch.cuda.is_available();   // also makes TorchSharp try to load libtorch_cuda
        return TorchBackend.Classify(LoadedLibraries(), File.Exists, usable);
    }

    /// <summary>
    /// The shared libraries mapped into this process (Linux: <c>/proc/self/maps</c>); elsewhere the native files
    /// beside the program, which is where the backend packages put libtorch.
    /// </summary>
    internal static IEnumerable<string> LoadedLibraries()
    {
        const string maps = "/proc/self/maps";
        if (File.Exists(maps))
        {
            return File.ReadLines(maps)
                .Select(line => line.IndexOf('/', StringComparison.Ordinal) is int i and >= 0 ? line[i..].Replace(" (deleted)", "", StringComparison.Ordinal) : null)
                .OfType<string>()
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }
        var dir = AppContext.BaseDirectory;
        var runtimes = Path.Combine(dir, "runtimes");
        return Directory.EnumerateFiles(dir)
            .Concat(Directory.Exists(runtimes) ? Directory.EnumerateFiles(runtimes, "*", SearchOption.AllDirectories) : [])
            .ToList();
    }

    private static string Diagnose(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        var lines = new List<string> { $"the native torch library failed to load: {inner.Message}" };
        var lib = FindNative("libLibTorchSharp.so");
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            if (lib is null)
                lines.Add("libLibTorchSharp.so is not beside the program: the build did not pull in a libtorch backend package (build with -p:TorchBackend=cpu or cuda).");
            else
            {
                try
                {
                    NativeLibrary.Free(NativeLibrary.Load(lib));
                    lines.Add($"{lib} loads by itself; libtorch (libtorch.so, libtorch_cpu.so) may be missing beside it.");
                }
                catch (DllNotFoundException dl)
                {
                    lines.Add($"loading {lib} directly says: {dl.Message}");
                    if (dl.Message.Contains("GLIBCXX", StringComparison.Ordinal))
                        lines.Add("This system's libstdc++ is older than TorchSharp needs. The build marks that requirement weak (build/TorchNativeFix.targets); rebuild from a clean checkout with 'dotnet build', or install a newer libstdc++6.");
                }
            }
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>A native library beside the program (or under its runtimes/ folder), as TorchSharp loads it; null when absent.</summary>
    internal static string? FindNative(string name)
    {
        var dir = AppContext.BaseDirectory;
        var direct = Path.Combine(dir, name);
        if (File.Exists(direct)) return direct;
        var runtimes = Path.Combine(dir, "runtimes");
        return Directory.Exists(runtimes) ? Directory.EnumerateFiles(runtimes, name, SearchOption.AllDirectories).FirstOrDefault() : null;
    }
}
