using System.Runtime.InteropServices;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// libtorch's global settings that TorchSharp 0.107 does not bind (its <c>use_deterministic_algorithms</c> is marked
/// "not implemented", and it has no memory-efficient or cuDNN attention switch), called on <c>at::globalContext()</c>
/// through their exported C++ symbols in <c>libtorch_cpu</c>: the same functions PyTorch's
/// <c>torch.use_deterministic_algorithms</c> and <c>torch.backends.cuda.enable_*_sdp</c> call. Linux (Itanium C++ ABI)
/// only; <see cref="Available"/> is false elsewhere or when a symbol is missing, and callers say so.
/// </summary>
public static class LibTorchContext
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate IntPtr GlobalContextFn();
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void SetFlagFn(IntPtr ctx, [MarshalAs(UnmanagedType.U1)] bool on);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] private delegate void SetFlagsFn(IntPtr ctx, [MarshalAs(UnmanagedType.U1)] bool on, [MarshalAs(UnmanagedType.U1)] bool warnOnly);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] [return: MarshalAs(UnmanagedType.U1)] private delegate bool GetFlagFn(IntPtr ctx);

    private sealed record Api(IntPtr Context, SetFlagsFn SetDeterministic, GetFlagFn Deterministic, SetFlagFn SetMemoryEfficient,
        GetFlagFn MemoryEfficient, SetFlagFn SetCuDnn);

    private static readonly Lazy<Api?> api = new(Load);

    public static bool Available => api.Value is not null;

    /// <summary>torch.use_deterministic_algorithms(on) (warn_only false: an op without a deterministic kernel throws).</summary>
    public static void SetDeterministicAlgorithms(bool on) => Require().SetDeterministic(Require().Context, on, false);

    public static bool DeterministicAlgorithms => api.Value is { } a && a.Deterministic(a.Context);

    /// <summary>torch.backends.cuda.enable_mem_efficient_sdp(on).</summary>
    public static void SetMemoryEfficientAttention(bool on) => Require().SetMemoryEfficient(Require().Context, on);

    public static bool MemoryEfficientAttention => api.Value is not { } a || a.MemoryEfficient(a.Context);

    /// <summary>torch.backends.cuda.enable_cudnn_sdp(on).</summary>
    public static void SetCuDnnAttention(bool on) => Require().SetCuDnn(Require().Context, on);

    private static Api Require() => api.Value ?? throw new PlatformNotSupportedException(
        "libtorch's global settings (deterministic algorithms, attention kernels) are reachable on Linux only, through libtorch_cpu's exported symbols");

    private static Api? Load()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || TorchEnvironment.TryLoad() is not null) return null;
        var dir = TorchEnvironment.Backend.LibraryDirectory;
        if (dir is null || !NativeLibrary.TryLoad(Path.Combine(dir, "libtorch_cpu.so"), out var lib)) return null;
        T? Get<T>(string symbol) where T : Delegate =>
            NativeLibrary.TryGetExport(lib, symbol, out var p) ? Marshal.GetDelegateForFunctionPointer<T>(p) : null;
        var global = Get<GlobalContextFn>("_ZN2at13globalContextEv");
        var setDet = Get<SetFlagsFn>("_ZN2at7Context26setDeterministicAlgorithmsEbb");
        var getDet = Get<GetFlagFn>("_ZNK2at7Context23deterministicAlgorithmsEv");
        var setMem = Get<SetFlagFn>("_ZN2at7Context21setSDPUseMemEfficientEb");
        var getMem = Get<GetFlagFn>("_ZNK2at7Context26userEnabledMemEfficientSDPEv");
        var setCudnn = Get<SetFlagFn>("_ZN2at7Context14setSDPUseCuDNNEb");
        if (global is null || setDet is null || getDet is null || setMem is null || getMem is null || setCudnn is null) return null;
        return new Api(global(), setDet, getDet, setMem, getMem, setCudnn);
    }
}
