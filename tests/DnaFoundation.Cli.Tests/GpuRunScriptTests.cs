using System.Diagnostics;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The CPU-side half of benchmarks/gpu/run.sh, run as CI runs it: the libtorch version check against fake libtorch
/// folders (a mismatch is refused on one plain line, the matching version accepted), the GPU run stopping at that
/// check with the reason in its report, and the packing of a bundle (CPU libtorch and SDK left out, size limit kept).
/// </summary>
public sealed class GpuRunScriptTests
{
    private static string Script => Path.Combine(TestPaths.RepoRoot, "benchmarks", "gpu", "run.sh");

    private static (int Code, string Out) Bash(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("OUT");                  // the machine's own settings must not leak in
        psi.Environment.Remove("DNAFM_LIBTORCH_DIR");
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "run.sh did not finish in 2 minutes");
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A PyTorch-style torch/lib with empty libraries and torch/version.py saying <paramref name="version"/>.</summary>
    private static string FakeTorch(string root, string version, bool cuda = true)
    {
        var lib = Directory.CreateDirectory(Path.Combine(root, "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(lib, "libtorch_cpu.so"), "");
        if (cuda) File.WriteAllText(Path.Combine(lib, "libtorch_cuda.so"), "");
        File.WriteAllText(Path.Combine(root, "torch", "version.py"), $"__version__ = '{version}'\ngit_version = 'abc'\n");
        return lib;
    }

    [Fact]
    public void The_libtorch_check_refuses_another_version_plainly_and_accepts_the_one_torchsharp_needs()
    {
        using var dir = new TempDir("gpu-libtorch");
        var other = Bash(null, "check-libtorch", FakeTorch(Path.Combine(dir.Path, "a"), "2.11.0+cu130"));
        Assert.Equal(3, other.Code);
        Assert.Contains("is libtorch 2.11.0+cu130, but TorchSharp 0.107.0 is built against libtorch 2.10.0", other.Out);
        Assert.Single(other.Out.Trim().Split('\n'));

        var same = Bash(null, "check-libtorch", FakeTorch(Path.Combine(dir.Path, "b"), "2.10.0+cu128"));
        Assert.Equal(0, same.Code);
        Assert.Contains("libtorch: 2.10.0+cu128 with CUDA", same.Out);

        var cpuOnly = Bash(null, "check-libtorch", FakeTorch(Path.Combine(dir.Path, "c"), "2.10.0", cuda: false));
        Assert.Equal(3, cpuOnly.Code);
        Assert.Contains("a CPU-only libtorch", cpuOnly.Out);

        // A libtorch archive says its version in build-version beside lib/.
        var archive = Directory.CreateDirectory(Path.Combine(dir.Path, "libtorch", "lib")).FullName;
        File.WriteAllText(Path.Combine(archive, "libtorch_cpu.so"), "");
        File.WriteAllText(Path.Combine(archive, "libtorch_cuda.so"), "");
        Assert.Contains("cannot tell the version", Bash(null, "check-libtorch", archive).Out);
        File.WriteAllText(Path.Combine(dir.Path, "libtorch", "build-version"), "2.10.0+cu128\n");
        Assert.Equal(0, Bash(null, "check-libtorch", archive).Code);
    }

    [Fact]
    public void The_gpu_run_checks_libtorch_first_and_stops_with_the_reason_in_its_report()
    {
        using var dir = new TempDir("gpu-run");
        var torch = FakeTorch(Path.Combine(dir.Path, "site"), "2.11.0+cu130");
        var report = Path.Combine(dir.Path, "out");
        var r = Bash(new Dictionary<string, string>
        {
            ["OUT"] = report, ["DNAFM_GPU_WORK"] = Path.Combine(dir.Path, "work"),
            ["DNAFM_LIBTORCH_DIR"] = Path.GetDirectoryName(torch)!,        // the folder holding lib/ works too
        }, "run", "--bundle", Path.Combine(dir.Path, "no-bundle.tar.xz"));
        Assert.Equal(3, r.Code);
        var text = File.ReadAllText(Path.Combine(report, "gpu-report.md"));
        Assert.StartsWith("# DnaFoundation GPU report", text);
        Assert.Contains("is libtorch 2.11.0+cu130, but TorchSharp 0.107.0 is built against libtorch 2.10.0", text);
        Assert.Contains("stopped: the GPU run needs a matching CUDA libtorch", text);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "work", "app")), "nothing is built before the check");
    }

    [SkippableFact]
    public void Pack_bundles_the_runtime_and_the_app_without_the_cpu_libtorch_or_the_sdk_under_the_limit()
    {
        ExternalTool.Require("xz", "xz-utils");   // run.sh pack compresses with xz; listed by the script's own check too
        using var dir = new TempDir("gpu-pack");
        // A fake dotnet root as an SDK install lays it out, and a fake framework-dependent publish.
        var root = Path.Combine(dir.Path, "dotnet");
        foreach (var f in new[] { "dotnet", "LICENSE.txt", "host/fxr/10.0.12/libhostfxr.so", "shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
                     "shared/Microsoft.AspNetCore.App/10.0.12/Microsoft.AspNetCore.dll", "sdk/10.0.401/dotnet.dll" })
            Write(Path.Combine(root, f), "x");
        var app = Path.Combine(dir.Path, "app");
        foreach (var f in new[] { "dnafm.dll", "dnafm.deps.json", "TorchSharp.dll", "libLibTorchSharp.so", "libtorch_cpu.so", "libtorch.so", "libc10.so",
                     "libgomp-98b21ff3.so.1", "Microsoft.CodeCoverage.Core.dll", "CodeCoverage/covrun64.dll", "x64/MicrosoftInstrumentationEngine_x64.dll", "de/xunit.resources.dll" })
            Write(Path.Combine(app, f), f);
        var outDir = Path.Combine(dir.Path, "bundle");

        var r = Bash(null, "pack", "--out", outDir, "--dotnet-root", root, "--app", app, "--limit-mib", "1", "--xz-level", "1");
        Assert.True(r.Code == 0, r.Out);
        Assert.Matches(@"bundle: .*gpu-bundle\.tar\.xz \d+ bytes \(1 MiB; unpacked: runtime \d+ MiB, app \d+ MiB\); limit 1 MiB", r.Out);
        var listing = Tar(Path.Combine(outDir, "gpu-bundle.tar.xz"));
        foreach (var kept in new[] { "BUNDLE", "dotnet/dotnet", "dotnet/host/fxr/10.0.12/libhostfxr.so", "dotnet/shared/Microsoft.NETCore.App/10.0.12/System.Private.CoreLib.dll",
                     "app/dnafm.dll", "app/TorchSharp.dll", "app/libLibTorchSharp.so" })
            Assert.Contains(kept, listing);
        foreach (var gone in new[] { "libtorch_cpu.so", "libtorch.so", "libc10.so", "libgomp", "CodeCoverage", "InstrumentationEngine", "/de/", "sdk/", "AspNetCore" })
            Assert.DoesNotContain(listing, l => l.Contains(gone, StringComparison.Ordinal));

        // Over the limit: refused plainly, and no bundle is left behind.
        File.WriteAllBytes(Path.Combine(app, "weights.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(2 << 20));
        var big = Bash(null, "pack", "--out", outDir, "--dotnet-root", root, "--app", app, "--limit-mib", "1", "--xz-level", "1");
        Assert.Equal(4, big.Code);
        Assert.Contains("over the 1 MiB limit", big.Out);
        Assert.False(File.Exists(Path.Combine(outDir, "gpu-bundle.tar.xz")));
    }

    private static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static List<string> Tar(string bundle)
    {
        var psi = new ProcessStartInfo("tar", ["-tJf", bundle]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimStart('.', '/')).ToList();
        p.WaitForExit();
        return lines;
    }
}
