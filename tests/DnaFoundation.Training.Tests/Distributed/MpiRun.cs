using System.Diagnostics;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Tests.Distributed.Worker;

namespace DnaFoundation.Training.Tests.Distributed;

/// <summary>
/// Starts this test assembly as a program (<see cref="WorkerProgram"/>) under <c>mpirun</c>, or alone for the
/// one-process reference. Tests that need it skip with a reason when <c>mpirun</c> is not installed.
/// </summary>
public static class MpiRun
{
    public sealed record Result(int ExitCode, string Output);

    public static string MpirunOrSkip()
    {
        var mpirun = MpirunCommandLine.Find();
        Skip.If(mpirun is null, "mpirun is not installed (Debian/Ubuntu: apt-get install openmpi-bin; .ci/run installs it)");
        return mpirun!;
    }

    /// <summary>Runs <paramref name="scenario"/> on <paramref name="ranks"/> ranks under mpirun.</summary>
    public static Result Ranks(int ranks, string scenario, string outDir, LocalTransport transport = LocalTransport.SharedMemory, params string[] options) =>
        Start(MpirunOrSkip(), [.. MpirunCommandLine.Arguments(ranks, transport, [Dotnet(), "exec", WorkerAssembly, scenario, outDir, .. options])]);

    /// <summary>Runs <paramref name="scenario"/> as one plain process (a world of one).</summary>
    public static Result Alone(string scenario, string outDir, params string[] options) =>
        Start(Dotnet(), ["exec", WorkerAssembly, scenario, outDir, .. options]);

    private static string WorkerAssembly => typeof(WorkerProgram).Assembly.Location;

    private static string Dotnet() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static Result Start(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        // A worker must decide its world from mpirun's variables only, not from the test runner's environment.
        foreach (var name in new[] { "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMI_SIZE", "PMI_RANK", "PMIX_RANK" })
            info.Environment.Remove(name);
        // Containers often forbid the cross-memory-attach syscall that shared memory uses for large messages;
        // copies through the shared segment always work (slower, which does not matter for these small tests).
        info.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Liveness, not speed: a run that has not ended after minutes is hung (the very thing the timeouts prevent).
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not end within 4 minutes");
        }
        return new Result(process.ExitCode, stdout.Result + stderr.Result);
    }
}
