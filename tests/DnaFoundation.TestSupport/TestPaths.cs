using Xunit;

namespace DnaFoundation.TestSupport;

/// <summary>Where tests find the repo, its committed fixtures and the larger shared data sets.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    /// <summary>../shared/data beside the checkout (CI always has it); null when absent.</summary>
    public static string? SharedData { get; } = FindSharedData();

    /// <summary>
    /// Path of a file under ../shared/data; the calling [SkippableFact] is reported skipped, with the reason,
    /// when the shared data is not on this machine.
    /// </summary>
    public static string Shared(params string[] parts)
    {
        Skip.If(SharedData is null, "needs ../shared/data (the larger real data sets), which is not present on this machine");
        var path = Path.Combine([SharedData!, .. parts]);
        Skip.IfNot(File.Exists(path) || Directory.Exists(path), $"needs {path}, which is not present on this machine");
        return path;
    }

    /// <summary>
    /// Path under ../shared/checkpoint-formats (what is publicly known of each published checkpoint: configs, key
    /// lists with shapes); the calling [SkippableFact] is reported skipped when it is not on this machine.
    /// </summary>
    public static string CheckpointFormats(params string[] parts)
    {
        var root = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "checkpoint-formats"));
        var path = Path.Combine([root, .. parts]);
        Skip.IfNot(File.Exists(path) || Directory.Exists(path), $"needs {path} (../shared/checkpoint-formats), which is not present on this machine");
        return path;
    }

    private static string FindRepoRoot()
    {
        // A published test folder outside the checkout (benchmarks/gpu/run.sh) names the checkout explicitly.
        var env = Environment.GetEnvironmentVariable("DNAFM_REPO_ROOT");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, "DnaFoundation.sln"))) return Path.GetFullPath(env);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DnaFoundation.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("DnaFoundation.sln not found above " + AppContext.BaseDirectory);
    }

    private static string? FindSharedData()
    {
        var env = Environment.GetEnvironmentVariable("DNAFM_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        var candidate = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));
        return Directory.Exists(candidate) ? candidate : null;
    }
}
