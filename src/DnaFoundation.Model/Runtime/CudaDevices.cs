using System.Runtime.InteropServices;
using System.Text;

namespace DnaFoundation.Model.Runtime;

/// <summary>A CUDA device's compute capability (sm_90 for an H100/H200).</summary>
public sealed record CudaCapability(int Major, int Minor) : IComparable<CudaCapability>
{
    public int CompareTo(CudaCapability? other) => other is null ? 1 : (Major, Minor).CompareTo((other.Major, other.Minor));

    public bool AtLeast(int major, int minor) => (Major, Minor).CompareTo((major, minor)) >= 0;

    public bool AtMost(int major, int minor) => (Major, Minor).CompareTo((major, minor)) <= 0;

    public override string ToString() => $"sm_{Major}{Minor}";
}

/// <summary>
/// What the NVIDIA driver says about a device: name and compute capability, read from the driver API
/// (<c>libcuda.so.1</c>, present wherever a driver is). TorchSharp exposes neither; the attention-kernel and precision
/// decisions need the capability. Null where there is no driver or no such device.
/// </summary>
public static class CudaDevices
{
    private const int ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76;   // CU_DEVICE_ATTRIBUTE_*

    public static CudaCapability? Capability(int index)
    {
        try
        {
            if (cuInit(0) != 0 || cuDeviceGet(out int dev, index) != 0) return null;
            if (cuDeviceGetAttribute(out int major, ComputeCapabilityMajor, dev) != 0 || cuDeviceGetAttribute(out int minor, ComputeCapabilityMinor, dev) != 0) return null;
            return new CudaCapability(major, minor);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }

    public static string? Name(int index)
    {
        try
        {
            if (cuInit(0) != 0 || cuDeviceGet(out int dev, index) != 0) return null;
            var buffer = new byte[256];
            return cuDeviceGetName(buffer, buffer.Length, dev) == 0 ? Encoding.ASCII.GetString(buffer).TrimEnd('\0') : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return null;
        }
    }

    [DllImport("libcuda.so.1")] private static extern int cuInit(uint flags);
    [DllImport("libcuda.so.1")] private static extern int cuDeviceGet(out int device, int ordinal);
    [DllImport("libcuda.so.1")] private static extern int cuDeviceGetAttribute(out int value, int attribute, int device);
    [DllImport("libcuda.so.1")] private static extern int cuDeviceGetName(byte[] name, int length, int device);
}
