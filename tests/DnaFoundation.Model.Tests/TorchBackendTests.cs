using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Model.Tests;

/// <summary>
/// The backend is detected from the libtorch the process loaded, not from a build constant: the same
/// framework-dependent build runs NuGet's CPU libtorch here and a CUDA libtorch swapped in on a GPU machine.
/// </summary>
public sealed class TorchBackendTests
{
    private static readonly Func<string, bool> NothingElse = _ => false;

    [Fact]
    public void Cpu_libtorch_mapped_without_its_cuda_library_is_the_cpu_backend()
    {
        var b = TorchBackend.Classify(["/usr/lib/x86_64-linux-gnu/libc.so.6", "/app/libtorch_cpu.so", "/app/libLibTorchSharp.so"], NothingElse, cudaUsable: false);
        Assert.Equal(new TorchBackend("cpu", "/app", false), b);
        Assert.Equal("cpu", b.Describe());
    }

    [Fact]
    public void Cuda_library_loaded_or_beside_the_loaded_libtorch_is_the_cuda_backend()
    {
        var loaded = TorchBackend.Classify(["/opt/torch/lib/libtorch_cpu.so", "/opt/torch/lib/libtorch_cuda.so"], NothingElse, cudaUsable: true);
        Assert.Equal(new TorchBackend("cuda", "/opt/torch/lib", true), loaded);
        Assert.Equal("cuda", loaded.Describe());

        // A CUDA libtorch on a machine without a driver: libtorch_cuda is beside libtorch_cpu but failed to load.
        var beside = TorchBackend.Classify(["/opt/torch/lib/libtorch_cpu.so"], p => p == "/opt/torch/lib/libtorch_cuda.so", cudaUsable: false);
        Assert.Equal(new TorchBackend("cuda", "/opt/torch/lib", false), beside);
        Assert.Contains("no usable GPU", beside.Describe());
    }

    [Fact]
    public void No_libtorch_mapped_is_none_and_lookalike_names_do_not_count()
    {
        Assert.Equal("none", TorchBackend.Classify(["/lib/libtorch_cpuinfo.so", "/lib/libtorch_cuda_linalg.so", "/x/libc10.so"], NothingElse, false).Kind);
        Assert.Equal("cpu", TorchBackend.Classify(["/lib/libtorch_cpu.so.2.10"], NothingElse, false).Kind);
        Assert.Equal("cuda", TorchBackend.Classify([@"C:\app\torch_cpu.dll", @"C:\app\torch_cuda.dll"], NothingElse, true).Kind);
    }

    [Fact]
    [Trait(TestDevice.Trait, TestDevice.Capable)]
    public void This_process_reports_the_libtorch_it_really_loaded()
    {
        var b = TorchEnvironment.Backend;
        Assert.Equal(TestDevice.IsCuda ? "cuda" : "cpu", b.Kind);
        Assert.NotNull(b.LibraryDirectory);
        Assert.True(File.Exists(Path.Combine(b.LibraryDirectory!, "libtorch_cpu.so")), $"libtorch_cpu.so not in {b.LibraryDirectory}");
        Assert.Contains(TorchEnvironment.LoadedLibraries(), p => p.EndsWith("libLibTorchSharp.so", StringComparison.Ordinal));
    }

    [Fact]
    public void Version_comes_from_a_pytorch_installation_or_a_libtorch_archive_beside_the_library()
    {
        using var dir = new TempDir("libtorch-version");
        var pip = Directory.CreateDirectory(Path.Combine(dir.Path, "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(dir.Path, "torch", "version.py"),
            "from typing import Optional\n__all__ = ['__version__']\n__version__ = '2.10.0+cu128'\ndebug = False\ncuda: Optional[str] = '12.8'\n");
        Assert.Equal("2.10.0+cu128", TorchBackend.ReadVersion(pip));

        var archive = Directory.CreateDirectory(Path.Combine(dir.Path, "libtorch", "lib")).FullName;
        File.WriteAllText(Path.Combine(dir.Path, "libtorch", "build-version"), "2.11.0+cu130\n");
        Assert.Equal("2.11.0+cu130", TorchBackend.ReadVersion(archive + "/"));

        Assert.Null(TorchBackend.ReadVersion(Directory.CreateDirectory(Path.Combine(dir.Path, "nuget", "native")).FullName));
    }

    [Fact]
    public void Device_errors_name_the_loaded_backend_and_the_way_to_a_cuda_one()
    {
        var cpu = DeviceChoice.NoCudaReason(new TorchBackend("cpu", "/app", false));
        Assert.Contains("runs the cpu libtorch from /app", cpu);
        Assert.Contains("benchmarks/gpu/run.sh", cpu);
        var noDriver = DeviceChoice.NoCudaReason(new TorchBackend("cuda", "/opt/torch/lib", false));
        Assert.Contains("CUDA libtorch from /opt/torch/lib loaded, but found no usable GPU", noDriver);
    }
}
