using System.Globalization;

namespace DnaFoundation.Benchmarks;

/// <summary>What every benchmark needs: its <c>--name value</c> options, the repository root, the machine's load.</summary>
internal static class BenchmarkSupport
{
    public static string? StringArg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int IntArg(string[] args, string name, int fallback) =>
        StringArg(args, name) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public static string RepoRoot() =>
        TryRepoRoot(AppContext.BaseDirectory) ?? throw new InvalidOperationException("DnaFoundation.sln not found above " + AppContext.BaseDirectory);

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

    /// <summary>The 1, 5 and 15-minute load averages (figures on a shared machine are read against them).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
