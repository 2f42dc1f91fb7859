namespace DnaFoundation.Model.Runtime;

/// <summary>The CPU's feature flags as Linux reports them (<c>/proc/cpuinfo</c>); empty where they cannot be read.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<IReadOnlySet<string>> flags = new(Read);

    public static IReadOnlySet<string> Flags => flags.Value;

    private static IReadOnlySet<string> Read()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path)) return new HashSet<string>();
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        if (line is null) return new HashSet<string>();
        return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }
}
