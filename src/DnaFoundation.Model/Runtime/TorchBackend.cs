namespace DnaFoundation.Model.Runtime;

/// <summary>
/// Which native libtorch this process runs, found at run time (the same build can run a CPU libtorch from NuGet or a
/// CUDA libtorch swapped in beside it, e.g. from a PyTorch installation's <c>torch/lib</c>).
/// </summary>
/// <param name="Kind"><c>cuda</c> when the loaded libtorch has its CUDA library (<c>libtorch_cuda</c>) loaded or beside it,
/// <c>cpu</c> when it has not, <c>none</c> when torch did not load.</param>
/// <param name="LibraryDirectory">The folder the loaded libtorch came from; null when it cannot be told.</param>
/// <param name="CudaUsable">torch.cuda.is_available(): the CUDA library loaded and found a GPU and driver.</param>
public sealed record TorchBackend(string Kind, string? LibraryDirectory, bool CudaUsable)
{
    /// <summary>One line for <c>dnafm info</c>, errors and run records.</summary>
    public string Describe() => Kind switch
    {
        "cuda" when CudaUsable => "cuda",
        "cuda" => "cuda (libtorch_cuda present, but no usable GPU or driver)",
        _ => Kind,
    };

    /// <summary>
    /// Decides the backend from the shared libraries mapped into the process (Linux: the paths in
    /// <c>/proc/self/maps</c>) and what lies beside the loaded libtorch. Pure: the caller supplies the file test.
    /// </summary>
    public static TorchBackend Classify(IEnumerable<string> mappedLibraries, Func<string, bool> fileExists, bool cudaUsable)
    {
        string? cpuLib = null, cudaLib = null;
        foreach (var path in mappedLibraries)
        {
            var name = Path.GetFileName(path);
            if (IsLibrary(name, "torch_cuda")) cudaLib ??= path;
            else if (IsLibrary(name, "torch_cpu")) cpuLib ??= path;
        }
        if (cpuLib is null && cudaLib is null)
            return new TorchBackend(cudaUsable ? "cuda" : "none", null, cudaUsable);
        var dir = Path.GetDirectoryName(cpuLib ?? cudaLib);
        bool hasCuda = cudaLib is not null || cudaUsable
            || (dir is not null && CudaLibraryNames.Any(n => fileExists(Path.Combine(dir, n))));
        return new TorchBackend(hasCuda ? "cuda" : "cpu", dir, cudaUsable);
    }

    /// <summary>
    /// The version of the libtorch in <paramref name="libraryDirectory"/> from the files its distributions carry one
    /// level up: a PyTorch installation's <c>torch/version.py</c> (<c>__version__ = '2.10.0+cu128'</c>) or a libtorch
    /// archive's <c>build-version</c>; null when neither is there (the NuGet packages carry no such file).
    /// </summary>
    public static string? ReadVersion(string libraryDirectory)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(libraryDirectory));
        if (parent is null) return null;
        var versionPy = Path.Combine(parent, "version.py");
        if (File.Exists(versionPy))
        {
            foreach (var line in File.ReadLines(versionPy))
            {
                var t = line.Trim();
                if (!t.StartsWith("__version__", StringComparison.Ordinal)) continue;
                int eq = t.IndexOf('=', StringComparison.Ordinal);
                if (eq < 0) continue;
                var value = t[(eq + 1)..].Trim();
                int hash = value.IndexOf('#', StringComparison.Ordinal);
                if (hash >= 0) value = value[..hash].Trim();
                return value.Trim('\'', '"');
            }
        }
        var buildVersion = Path.Combine(parent, "build-version");
        return File.Exists(buildVersion) ? File.ReadLines(buildVersion).FirstOrDefault()?.Trim() : null;
    }

    /// <summary>The CUDA part of libtorch as each platform names it.</summary>
    public static readonly string[] CudaLibraryNames = ["libtorch_cuda.so", "torch_cuda.dll", "libtorch_cuda.dylib"];

    // libtorch_cpu.so, torch_cpu.dll, libtorch_cpu.dylib; a versioned suffix (libtorch_cpu.so.2) counts too.
    private static bool IsLibrary(string fileName, string stem)
    {
        var bare = fileName.StartsWith("lib", StringComparison.Ordinal) ? fileName[3..] : fileName;
        return bare.StartsWith(stem + ".", StringComparison.Ordinal)
            && (bare.Contains(".so", StringComparison.Ordinal) || bare.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || bare.EndsWith(".dylib", StringComparison.Ordinal));
    }
}
