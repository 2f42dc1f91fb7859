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

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DnaFoundation.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("DnaFoundation.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The median (the mean of the two middle values for an even count): robust to a shared machine's spikes.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        if (v.Length == 0) throw new ArgumentException("no values", nameof(values));
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>The 1, 5 and 15-minute load averages (figures on a shared machine are read against them).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
