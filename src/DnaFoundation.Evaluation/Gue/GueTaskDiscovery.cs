using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>A GUE task folder: its name is its path under the data root with '/' separators, e.g. "prom/prom_core_all".</summary>
public sealed record GueTask(string Name, string Directory)
{
    public string TrainCsv => Path.Combine(Directory, "train.csv");
    public string DevCsv => Path.Combine(Directory, "dev.csv");
    public string TestCsv => Path.Combine(Directory, "test.csv");

    /// <summary>Why the task cannot run, or null. A missing split is never replaced by another one.</summary>
    public string? MissingSplit()
    {
        var missing = new[] { TrainCsv, DevCsv, TestCsv }.Where(f => !File.Exists(f)).Select(Path.GetFileName).ToArray();
        return missing.Length == 0 ? null : $"{string.Join(", ", missing)} absent";
    }
}

public static class GueTaskDiscovery
{
    private static readonly string[] SplitFiles = ["train.csv", "dev.csv", "test.csv"];

    /// <summary>Every folder under <paramref name="root"/> holding at least one of train/dev/test.csv, sorted by name.</summary>
    public static IReadOnlyList<GueTask> Discover(string root)
    {
        if (!System.IO.Directory.Exists(root)) throw new DnaInputException("GUE data folder not found", root);
        var full = Path.GetFullPath(root);
        return System.IO.Directory.EnumerateDirectories(full, "*", SearchOption.AllDirectories)
            .Where(d => SplitFiles.Any(f => File.Exists(Path.Combine(d, f))))
            .Select(d => new GueTask(Path.GetRelativePath(full, d).Replace(Path.DirectorySeparatorChar, '/'), d))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The named tasks (comma-separated list or repeated names); an unknown name is an error listing what exists.</summary>
    public static IReadOnlyList<GueTask> Select(string root, IEnumerable<string>? names)
    {
        var all = Discover(root);
        var wanted = (names ?? []).SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        if (wanted.Length == 0) return all;
        var byName = all.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return wanted.Distinct().Select(n => byName.TryGetValue(n.Trim('/'), out var t) ? t
            : throw new DnaInputException($"no GUE task folder '{n}' (with train/dev/test.csv); found: {string.Join(", ", all.Select(a => a.Name))}", root)).ToArray();
    }
}
