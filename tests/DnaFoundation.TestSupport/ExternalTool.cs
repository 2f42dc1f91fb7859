using System.Diagnostics;
using Xunit;

namespace DnaFoundation.TestSupport;

/// <summary>
/// Runs independent command-line tools (samtools, bgzip, bedtools) as references. A test that needs one calls
/// <see cref="Require"/> and is reported skipped, with the reason, when the tool is not installed.
/// </summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, byte[] StdOut, string StdErr);

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    public static string Require(string name, string package)
    {
        var path = Find(name);
        Skip.If(path is null, $"{name} is not on PATH (Debian/Ubuntu: apt-get install {package}; .ci/run installs it)");
        return path!;
    }

    public static Result Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish in 2 minutes");
        }
        copy.Wait();
        return new Result(p.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>Runs the tool and fails the test, with its stderr, unless it exits 0.</summary>
    public static byte[] Check(string tool, params string[] args)
    {
        var r = Run(tool, args);
        Assert.True(r.ExitCode == 0, $"{Path.GetFileName(tool)} {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}");
        return r.StdOut;
    }
}
