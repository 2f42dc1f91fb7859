using System.Runtime.InteropServices;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// How libtorch's idle OpenMP workers wait. On Linux libtorch ships GNU libgomp, whose workers spin (busy-wait) for
/// a while after each parallel region before they sleep, so the next region starts a few microseconds sooner. On a
/// machine with other busy processes those spinning threads take the cores the thread with real work needs, and
/// steps get several times slower (benchmarks/README.md, "wait-policy"). dnafm therefore asks for the passive policy
/// (workers sleep at once) unless the user chose one: <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> in the
/// environment is left as it is.
/// libgomp reads its settings once, when it is loaded, from the C environment (not .NET's copy, which
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes on Unix): so this calls libc's setenv,
/// and must run before the first torch call. Child processes (MPI ranks) inherit it through both.
/// </summary>
public static class OpenMpWaitPolicy
{
    public const string PolicyVariable = "OMP_WAIT_POLICY";
    public const string SpinCountVariable = "GOMP_SPINCOUNT";

    /// <summary>What this process runs under, as <see cref="ApplyProcessDefault"/> decided ("not set" before).</summary>
    public static string Policy { get; private set; } = "not set";

    public static void ApplyProcessDefault()
    {
        var policy = Environment.GetEnvironmentVariable(PolicyVariable);
        var spin = Environment.GetEnvironmentVariable(SpinCountVariable);
        if (!string.IsNullOrWhiteSpace(policy) || !string.IsNullOrWhiteSpace(spin))
        {
            Policy = string.Join(", ", new[] { (PolicyVariable, policy), (SpinCountVariable, spin) }
                .Where(v => !string.IsNullOrWhiteSpace(v.Item2)).Select(v => $"{v.Item1}={v.Item2}")) + " (from the environment)";
            return;
        }
        if (!OperatingSystem.IsLinux())
        {
            Policy = "the OpenMP runtime's default (dnafm sets OMP_WAIT_POLICY only for libgomp on Linux)";
            return;
        }
        if (setenv(PolicyVariable, "PASSIVE", overwrite: 0) != 0)
        {
            Policy = "libgomp's default (setting OMP_WAIT_POLICY failed)";
            return;
        }
        Environment.SetEnvironmentVariable(PolicyVariable, "PASSIVE");
        Policy = "PASSIVE (dnafm's default: idle workers sleep; OMP_WAIT_POLICY=ACTIVE or GOMP_SPINCOUNT=N to choose)";
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
