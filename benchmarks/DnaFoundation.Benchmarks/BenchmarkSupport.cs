using System.Diagnostics;
using System.Globalization;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// What every benchmark needs: its <c>--name value</c> options, the repository root, the machine's load, a fair
/// environment for the reference tools it runs, and the description of both sides' CPU and BLAS.
/// </summary>
internal static class BenchmarkSupport
{
    /// <summary>
    /// Variables that pin OpenBLAS to another CPU's kernels or cache size, set on some machines to work around old
    /// OpenBLAS bugs. Inherited by a reference tool they make the comparison unfair: on a 2-core Zen 5 (AVX-512),
    /// PyTorch's fp32 training step ran 702 tokens/s with <c>OPENBLAS_CORETYPE=Haswell</c> (AVX2 kernels) and
    /// 981–1,042 with both unset (issue 21).
    /// </summary>
    public static readonly string[] KernelOverrides = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

    /// <summary><c>NAME=VALUE</c> pairs the user gave with <c>--reference-env</c> (Program takes them off the benchmark's arguments).</summary>
    public static Dictionary<string, string> ReferenceEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Prepares a reference tool's environment (PyTorch, Hugging Face, gzip, seqkit…): <see cref="KernelOverrides"/>
    /// are removed unless the user passed them with <c>--reference-env</c>, which is applied; returns what was done,
    /// for the benchmark to print beside its figures.
    /// </summary>
    public static string FairReferenceEnvironment(ProcessStartInfo psi)
    {
        var notes = new List<string>();
        foreach (var name in KernelOverrides.Where(n => !ReferenceEnvironment.ContainsKey(n)))
            if (psi.Environment.Remove(name)) notes.Add($"{name} cleared (inherited {Environment.GetEnvironmentVariable(name)})");
        foreach (var (name, value) in ReferenceEnvironment)
        {
            psi.Environment[name] = value;
            notes.Add($"{name}={value} (--reference-env)");
        }
        return notes.Count == 0 ? $"none of {string.Join(", ", KernelOverrides)} set" : string.Join("; ", notes);
    }

    /// <summary>Takes every <c>--reference-env NAME=VALUE</c> off <paramref name="args"/> into <see cref="ReferenceEnvironment"/>.</summary>
    public static string[] TakeReferenceEnvironment(string[] args)
    {
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] != "--reference-env") { rest.Add(args[i]); continue; }
            var pair = i + 1 < args.Length ? args[++i] : "";
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"--reference-env '{pair}': use NAME=VALUE");
            ReferenceEnvironment[pair[..eq]] = pair[(eq + 1)..];
        }
        return [.. rest];
    }

    /// <summary>"CPU model; matrix flags; N cores": the machine a figure comes from.</summary>
    public static string Machine() => $"{CpuFeatures.Model}; {CpuFeatures.MatrixFlags(CpuFeatures.Flags)}; {Environment.ProcessorCount} cores";

    /// <summary>
    /// Our side's BLAS and kernels: the provider serving libtorch's sgemm (and why), ATen's CPU kernel set, libtorch's
    /// thread counts, and any kernel override our own OpenBLAS inherits.
    /// </summary>
    public static string OurBlas()
    {
        var blas = BlasProvider.Current;
        var parallel = LibTorchInfo.ParallelInfo()?.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith("at::get_num_threads", StringComparison.Ordinal) || l.StartsWith("omp_get_max_threads", StringComparison.Ordinal) || l.StartsWith("Intel(R) oneAPI Math Kernel Library", StringComparison.Ordinal) || l.StartsWith("Intel(R) MKL-DNN", StringComparison.Ordinal) || l.StartsWith("oneDNN", StringComparison.Ordinal));
        var inherited = KernelOverrides.Where(n => Environment.GetEnvironmentVariable(n) is not null).Select(n => $"{n}={Environment.GetEnvironmentVariable(n)} inherited").ToList();
        return $"BLAS {blas.Signature} ({blas.Reason}){(BlasProvider.OpenBlasThreads is int t ? $", OpenBLAS pool {t} threads" : "")}; " +
            $"ATen CPU kernels {LibTorchInfo.CpuCapability() ?? "unknown"}; {string.Join("; ", parallel ?? [])}" +
            (inherited.Count > 0 && blas.Provider == "openblas" ? $"; {string.Join(", ", inherited)}" : "");
    }

    public static string? StringArg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int IntArg(string[] args, string name, int fallback) =>
        StringArg(args, name) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static string RepoRoot() =>
        TryRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("DnaFoundation.sln not found above " + AppContext.BaseDirectory);

    /// <summary>
    /// The GUE prom_300_all test split and DNABERT-2's tokenizer.json from ../shared/data (the inference and serve
    /// benchmarks' inputs), or null after saying on stderr what is missing.
    /// </summary>
    public static (string Csv, string TokenizerJson)? PromoterInputs()
    {
        var shared = Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "data"));
        var csv = Path.Combine(shared, "gue", "prom", "prom_300_all", "test.csv");
        var tokenizerJson = Path.Combine(shared, "tokenizers", "dnabert2", "tokenizer.json");
        if (File.Exists(csv) && File.Exists(tokenizerJson)) return (csv, tokenizerJson);
        Console.Error.WriteLine($"needs {csv} and {tokenizerJson} (../shared/data, see its README)");
        return null;
    }

    /// <summary>The nearest folder at or above <paramref name="start"/> that holds DnaFoundation.sln, or null.</summary>
    public static string? TryRepoRoot(string start)
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DnaFoundation.sln"))) dir = dir.Parent;
        return dir?.FullName;
    }

    /// <summary>The median (the mean of the two middle values for an even count): robust to a shared machine's spikes.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) throw new ArgumentException("no values", nameof(values));
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>A "Field: N kB" value of /proc/self/status (VmRSS, VmHWM, ...) in KiB, or null where there is none.</summary>
    public static long? ProcStatusKiB(string field)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line[(field.Length + 1)..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
    }

    /// <summary>The CPU's model name as Linux reports it (figures are read against it), or "n/a".</summary>
    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is string line
            ? line.Split(':', 2)[1].Trim() : "n/a";

    /// <summary>The 1, 5 and 15-minute load averages (figures on a shared machine are read against them).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

/// <summary>A fresh folder under the system's temporary directory for one benchmark run, deleted afterwards.</summary>
internal sealed class TempDirectory(string prefix = "dnafm-bench-") : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
