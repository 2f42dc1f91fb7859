namespace DnaFoundation.Fuzz;

/// <summary>
/// A harness's private work folder (under /dev/shm when it exists: AFL runs thousands of inputs a second) and the
/// committed fixtures some formats need beside the input (the FASTA an index points into, the shards an index or a
/// loader state describes). One per process; inputs are written into a fresh subfolder each time, so a harness can
/// add sibling files without one input seeing another's.
/// </summary>
public sealed class FuzzContext : IDisposable
{
    private readonly string root;
    private long runs;

    /// <param name="workFolder">Where inputs are written (tests pass their own temporary folder); default a fresh one.</param>
    public FuzzContext(string? workFolder = null)
    {
        var tmp = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        root = workFolder ?? Path.Combine(tmp, $"dnafm-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        Fixtures = FindFixtures();
    }

    /// <summary>fuzz/fixtures in the checkout the harness was built from (DNAFM_FUZZ_FIXTURES overrides).</summary>
    public string Fixtures { get; }

    public string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    /// <summary>Writes <paramref name="input"/> as <paramref name="fileName"/> in an empty folder; returns its path.</summary>
    public string Write(byte[] input, string fileName)
    {
        var dir = Path.Combine(root, (runs++ % 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, fileName);
        File.WriteAllBytes(path, input);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string FindFixtures()
    {
        var env = Environment.GetEnvironmentVariable("DNAFM_FUZZ_FIXTURES");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "fuzz", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("fuzz/fixtures not found above " + AppContext.BaseDirectory + " (set DNAFM_FUZZ_FIXTURES)");
    }
}
