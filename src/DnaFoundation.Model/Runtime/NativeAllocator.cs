using System.Runtime.InteropServices;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// The glibc malloc policy for training loops. libtorch allocates each step's activations and gradients with malloc;
/// by default glibc serves every block above 32 MiB (most activations of a 117M model at batch 32 × 128) with a fresh
/// mmap and unmaps it on free, so every step page-faults and zero-fills gigabytes again (measured here: 2.2 million
/// page faults, ≈ 9 GB, per dnabert2-117m step; 5.8 s of a 48 s step). <see cref="RetainFreedMemory"/> turns that off
/// for the whole process: big blocks come from the heap and freed memory stays there for the next step.
/// The steady-state resident set is then the step's peak working set, which the step needs anyway; an explicit
/// <c>malloc_trim(0)</c> still hands free pages back. One limit of glibc: a thread other than the main one allocates
/// from its own arena, whose heaps hold at most 64 MiB, and glibc maps a bigger block there whatever the policy;
/// dnafm's commands (training included) run their tensor work on the main thread, whose heap has no such limit.
/// </summary>
public static class NativeAllocator
{
    private const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;

    /// <summary>
    /// The same policy as environment variables, for a child process (they must be set before it starts):
    /// glibc reads them at its first malloc.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ChildEnvironment { get; } = new Dictionary<string, string>
    {
        ["MALLOC_MMAP_MAX_"] = "0",
        ["MALLOC_TRIM_THRESHOLD_"] = (1L << 46).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The environment variable that chooses the process policy: <c>retain</c> (the default) or <c>default</c>.</summary>
    public const string PolicyVariable = "DNAFM_MALLOC";

    /// <summary>The policy this process runs under, as <see cref="ApplyProcessPolicy"/> set it ("not set" before).</summary>
    public static string Policy { get; private set; } = "not set";

    /// <summary>
    /// What <c>dnafm</c> does at start, before any tensor exists: retain freed memory unless <c>DNAFM_MALLOC=default</c>
    /// asks for glibc as it comes. Measured on dnabert2-117m (batch 32 × 128, 2 threads, alternating runs): 29.5 / 28.7 s
    /// per training step with glibc's default, 26.4 / 25.3 s retained (benchmarks/README.md, "model-train").
    /// Trainers still call <c>malloc_trim</c> every 100 steps, so the retained heap does not creep.
    /// </summary>
    public static void ApplyProcessPolicy(string? value)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "retain":
                Policy = RetainFreedMemory() ? "retain (no mmap for big blocks, no trim on free)" : "default (not glibc: nothing changed)";
                break;
            case "default":
                Policy = "default (glibc as it comes)";
                break;
            default:
                throw new DnaFoundation.Core.DnaInputException($"{PolicyVariable}='{value}' is not allowed; allowed values: retain, default");
        }
    }

    /// <summary>
    /// Never mmap a malloc block and never trim the heap's top on free. Returns false where this is not glibc
    /// (Windows, macOS, musl): nothing is changed there.
    /// </summary>
    public static bool RetainFreedMemory()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return false;
        try
        {
            // mallopt takes an int; glibc converts the trim threshold to size_t, so -1 means "never".
            return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, -1) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);
}
