using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// What torch this process has: versions, devices, and — when the native library does not load — why.
/// </summary>
public static class TorchEnvironment
{
#if TORCH_CUDA
    public const string BuildBackend = "cuda";
#else
    public const string BuildBackend = "cpu";
#endif

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

    /// <summary>The libtorch version TorchSharp was built against (from the native package beside it).</summary>
    public static string LibTorchVersion
    {
        get
        {
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

    private static string? FindNative(string name)
    {
        var dir = AppContext.BaseDirectory;
        var direct = Path.Combine(dir, name);
        if (File.Exists(direct)) return direct;
        var runtimes = Path.Combine(dir, "runtimes");
        return Directory.Exists(runtimes) ? Directory.EnumerateFiles(runtimes, name, SearchOption.AllDirectories).FirstOrDefault() : null;
    }
}
