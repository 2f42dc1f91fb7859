using System.Diagnostics;

namespace DnaFoundation.Cli.Tests;

/// <summary>Runs the real <c>dnafm</c> executable in a child process, as a user would.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(params string[] args) => RunIn(null, args);

    public static Result RunIn(string? workingDirectory, params string[] args) =>
        Start("dotnet", [Dll, .. args], workingDirectory, TimeSpan.FromMinutes(10));

    /// <summary>Runs <c>dnafm</c> with extra environment variables (a null value removes one).</summary>
    public static Result RunWithEnvironment(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunWithEnvironmentIn(null, environment, args);

    /// <summary>Runs <c>dnafm</c> in <paramref name="workingDirectory"/> with extra environment variables (a null value removes one).</summary>
    public static Result RunWithEnvironmentIn(string? workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        Start("dotnet", [Dll, .. args], workingDirectory, TimeSpan.FromMinutes(10), psi =>
        {
            foreach (var (k, v) in environment)
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
        });

    /// <summary>Runs <c>dnafm</c> on <paramref name="ranks"/> MPI ranks through <paramref name="mpirun"/> (shared memory).</summary>
    public static Result RunMpi(string mpirun, int ranks, string? workingDirectory, params string[] args)
    {
        var arguments = DnaFoundation.Training.Distributed.MpirunCommandLine.Arguments(
            ranks, DnaFoundation.Training.Distributed.LocalTransport.SharedMemory, ["dotnet", Dll, .. args]);
        return Start(mpirun, arguments, workingDirectory, TimeSpan.FromMinutes(6), psi =>
        {
            // Each rank must decide its world from mpirun's variables only, not from the test runner's environment.
            foreach (var name in new[] { "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMI_SIZE", "PMI_RANK", "PMIX_RANK" })
                psi.Environment.Remove(name);
            // Containers often forbid the cross-memory-attach syscall shared memory uses for large messages.
            psi.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        });
    }

    /// <summary>
    /// What every dnafm child of the tests gets: CI mode, and a cache folder of this test process (the measured BLAS
    /// choice, <c>$XDG_CACHE_HOME/dnafm/blas.json</c>) instead of the user's, removed when the test process exits.
    /// </summary>
    public static void PrepareEnvironment(ProcessStartInfo psi)
    {
        psi.Environment["CI"] = "true";
        psi.Environment["XDG_CACHE_HOME"] = CacheHome.Value;
    }

    private static readonly Lazy<string> CacheHome = new(() =>
    {
        var dir = new DnaFoundation.TestSupport.TempDir("cache");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        return dir.Path;
    });

    internal static string Dll => Path.Combine(AppContext.BaseDirectory, "dnafm.dll");

    private static Result Start(string program, IEnumerable<string> arguments, string? workingDirectory, TimeSpan timeout, Action<ProcessStartInfo>? configure = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        PrepareEnvironment(psi);
        configure?.Invoke(psi);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', psi.ArgumentList)} did not finish in {timeout.TotalMinutes} minutes");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
