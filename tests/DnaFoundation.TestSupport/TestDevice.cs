using Xunit;

namespace DnaFoundation.TestSupport;

/// <summary>
/// The device the GPU-capable tests run on. A test marked <c>[Trait(TestDevice.Trait, TestDevice.Capable)]</c> takes
/// its device from here instead of naming "cpu", so the same test runs on the CPU in CI and on a GPU when
/// <c>DNAFM_TEST_DEVICE=cuda</c> (benchmarks/gpu/run.sh sets it and filters on the trait). Tests that only a GPU can
/// check call <see cref="SkipUnlessCuda"/> and are reported skipped, with that reason, everywhere else.
/// </summary>
public static class TestDevice
{
    public const string Variable = "DNAFM_TEST_DEVICE";

    /// <summary>The xunit trait name and value of the tests that run on <c>--device cuda</c> too.</summary>
    public const string Trait = "gpu";
    public const string Capable = "capable";

    /// <summary>"cpu" (the default), "cuda" or "cuda:N", in the spelling of <c>--device</c>.</summary>
    public static string Name { get; } = Read(Environment.GetEnvironmentVariable(Variable));

    public static bool IsCuda => Name.StartsWith("cuda", StringComparison.Ordinal);

    public const string NeedsCuda = "needs CUDA: runs in benchmarks/gpu/run.sh (DNAFM_TEST_DEVICE=cuda) on a machine with an NVIDIA GPU";

    /// <summary>Reports the calling [SkippableFact] skipped unless the tests run on a CUDA device.</summary>
    public static void SkipUnlessCuda() => Skip.IfNot(IsCuda, NeedsCuda);

    internal static string Read(string? value)
    {
        var v = (value ?? "").Trim().ToLowerInvariant();
        if (v.Length == 0) return "cpu";
        if (v == "cpu" || v == "cuda" || (v.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(v[5..], out var i) && i >= 0))
            return v;
        throw new InvalidOperationException($"{Variable}='{value}' is not allowed; allowed values: cpu, cuda, cuda:N");
    }
}
