using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Steps;

/// <summary>
/// The one way the training loops read a device value on the host. Each read waits for the device to finish the
/// work queued before it (a CUDA stream synchronisation), so the loops keep losses, gradient norms and non-finite
/// flags on the device and read them here only when a log line, an evaluation or a checkpoint needs them. Counted
/// per thread, so tests can assert how many reads an optimizer step made (zero between log steps).
/// </summary>
public static class HostReads
{
    [ThreadStatic] private static long count;

    /// <summary>Reads made on this thread so far.</summary>
    public static long Count => count;

    /// <summary>Every element of <paramref name="values"/>, in order, as float64 (one read however many there are).</summary>
    public static double[] Values(Tensor values)
    {
        count++;
        if (values.device_type == DeviceType.META)
            throw new InvalidOperationException("a tensor on the meta device has no values to read on the host");
        using var host = values.detach().to(ScalarType.Float64).cpu();
        return host.data<double>().ToArray();
    }

    /// <summary>A one-element tensor as float64.</summary>
    public static double Scalar(Tensor value) => Values(value)[0];

    /// <summary>A one-element boolean tensor.</summary>
    public static bool Flag(Tensor flag) => Scalar(flag) != 0;
}
