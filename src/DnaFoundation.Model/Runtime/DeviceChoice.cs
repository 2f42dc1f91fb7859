using DnaFoundation.Core;
using TorchSharp;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// The device and thread count a command runs on, parsed once from <c>--device auto|cpu|cuda|cuda:N</c> and
/// <c>--threads N</c> and passed down; no other code decides the device.
/// </summary>
public sealed record DeviceChoice(torch.Device Device, int Threads)
{
    public bool IsCuda => Device.type == DeviceType.CUDA;

    public override string ToString() => $"{Device} ({Threads} thread{(Threads == 1 ? "" : "s")})";

    /// <summary>Parses the options; <paramref name="threads"/> 0 or null means all cores.</summary>
    public static DeviceChoice Parse(string? device, int? threads)
    {
        var spec = (device ?? "auto").Trim().ToLowerInvariant();
        torch.Device dev;
        if (spec == "auto")
            dev = TorchEnvironment.CudaAvailable() ? torch.CUDA : torch.CPU;
        else if (spec == "cpu")
            dev = torch.CPU;
        else if (spec == "cuda" || spec.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!TorchEnvironment.CudaAvailable())
                throw new DnaInputException($"device '{spec}': CUDA is not available ({NoCudaReason(TorchEnvironment.Backend)})");
            int index = 0;
            if (spec.Length > 5 && (!int.TryParse(spec[5..], out index) || index < 0 || index >= torch.cuda.device_count()))
                throw new DnaInputException($"device '{spec}': no such CUDA device; this machine has {torch.cuda.device_count()} (cuda:0..cuda:{torch.cuda.device_count() - 1})");
            dev = new torch.Device(DeviceType.CUDA, index);
        }
        else
            throw new DnaInputException($"device '{device}' is not allowed; allowed values: auto, cpu, cuda, cuda:N");

        int n = threads is null or 0 ? Environment.ProcessorCount : threads.Value;
        if (n < 0) throw new DnaInputException($"threads {threads}: must be 0 (all cores) or a positive number");
        return new DeviceChoice(dev, n);
    }

    /// <summary>Why <c>--device cuda</c> cannot run, from the backend this process loaded.</summary>
    internal static string NoCudaReason(TorchBackend backend) => backend.Kind switch
    {
        "cuda" => $"the CUDA libtorch{At(backend)} loaded, but found no usable GPU: check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES",
        _ => $"this process runs the {backend.Kind} libtorch{At(backend)}; build with -p:TorchBackend=cuda, or put a CUDA libtorch beside a framework-dependent publish (benchmarks/gpu/run.sh shows how), on a machine with an NVIDIA driver",
    };

    private static string At(TorchBackend b) => b.LibraryDirectory is null ? "" : $" from {b.LibraryDirectory}";

    /// <summary>
    /// Applies the thread count to the calling thread (torch's setting is per thread: call this on every thread
    /// that runs torch work). A system OpenBLAS serving libtorch's sgemm (<see cref="BlasProvider"/>) gets the same
    /// count for its own pool, so neither oversubscribes the cores the user gave.
    /// </summary>
    public void ApplyToCurrentThread()
    {
        torch.set_num_threads(Threads);
        BlasProvider.SetThreads(Threads);
    }
}
