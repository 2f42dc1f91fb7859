using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// What a run on <see cref="Device"/> sets so that a resumed run ends bit-identical to an uninterrupted one.
/// </summary>
/// <param name="Device">The device the plan is for.</param>
/// <param name="DeterministicAlgorithms">torch.use_deterministic_algorithms(true): libtorch's deterministic CUDA
/// kernels (flash/memory-efficient attention backward without split-key atomics, sorted index_put), an error for an op
/// that has none, and cuDNN attention ruled out.</param>
/// <param name="CublasWorkspaceConfig">The value to give <c>CUBLAS_WORKSPACE_CONFIG</c> (cuBLAS is deterministic only with
/// a fixed workspace); null when nothing needs setting.</param>
/// <param name="ReseedPerStep">Seed the device's default generator from (seed, rank, step) at every optimizer step.
/// TorchSharp 0.107 cannot read or set the CUDA generator's state (no torch.cuda.get_rng_state), so its dropout
/// stream is made a pure function of what the checkpoint holds instead of being saved.</param>
public sealed record DeterminismPlan(DeviceType Device, bool DeterministicAlgorithms, string? CublasWorkspaceConfig, bool ReseedPerStep)
{
    /// <summary>How each rank's checkpoint state describes the device's random stream ("" when its state is saved instead).</summary>
    public string DeviceRng => ReseedPerStep ? $"{Device.ToString().ToLowerInvariant()}: reseeded per step from (seed, rank, step)" : "";
}

/// <summary>
/// The determinism decisions for exact resume, as a pure function of the device (<c>For</c>) and the one place
/// that applies them (<see cref="Apply"/>). The CPU needs nothing: its libtorch kernels are deterministic for a fixed
/// thread count, and its generator's state is saved in checkpoints.
/// </summary>
public static class Determinism
{
    public const string CublasVariable = "CUBLAS_WORKSPACE_CONFIG";

    /// <summary>The values NVIDIA documents as deterministic; the first is the one set when none is.</summary>
    public static readonly string[] CublasDeterministicValues = [":4096:8", ":16:8"];

    /// <param name="device">The run's device kind.</param>
    /// <param name="deterministic">The run's <c>deterministic</c> setting (true unless a user trades exact resume for speed).</param>
    /// <param name="currentCublasConfig">CUBLAS_WORKSPACE_CONFIG as the process has it now.</param>
    public static DeterminismPlan For(DeviceType device, bool deterministic, string? currentCublasConfig)
    {
        if (device != DeviceType.CUDA) return new DeterminismPlan(device, false, null, false);
        string? cublas = deterministic && !CublasDeterministicValues.Contains(currentCublasConfig) ? CublasDeterministicValues[0] : null;
        return new DeterminismPlan(device, deterministic, cublas, ReseedPerStep: true);
    }

    /// <summary>The plan for this process as it is now (reads CUBLAS_WORKSPACE_CONFIG from the native environment).</summary>
    public static DeterminismPlan For(Device device, bool deterministic) =>
        For(device.type, deterministic, RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
            ? Marshal.PtrToStringUTF8(getenv(CublasVariable)) : Environment.GetEnvironmentVariable(CublasVariable));

    /// <summary>
    /// Applies the plan; call before the first CUDA matrix product of the process (cuBLAS reads its workspace
    /// setting when it makes its handle). The variable goes into the native environment, where cuBLAS looks
    /// (.NET's Environment.SetEnvironmentVariable does not change it on Unix).
    /// </summary>
    public static void Apply(DeterminismPlan plan)
    {
        if (plan.CublasWorkspaceConfig is { } value && RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            setenv(CublasVariable, value, 1);
        if (plan.DeterministicAlgorithms) LibTorchContext.SetDeterministicAlgorithms(true);
    }

    /// <summary>The seed of <paramref name="rank"/>'s device generator for optimizer step <paramref name="step"/> (SplitMix64 finaliser).</summary>
    public static long StepSeed(long seed, int rank, long step)
    {
        unchecked
        {
            ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)rank * 0xC2B2AE3D27D4EB4FUL ^ (ulong)step * 0x165667B19E3779F9UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (long)((z ^ (z >> 31)) & long.MaxValue);
        }
    }

    /// <summary>Seeds the generator that <paramref name="device"/>'s dropout draws from.</summary>
    public static void Reseed(Device device, long seed)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.manual_seed(seed);
        else random.manual_seed(seed);
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr getenv(string name);
}
