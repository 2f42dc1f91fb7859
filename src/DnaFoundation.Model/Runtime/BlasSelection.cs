using System.Globalization;
using System.Text.Json.Nodes;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// Which library serves libtorch's single-precision matrix products in this process, and why: what
/// <c>dnafm info</c> prints, <c>run.json</c> and checkpoints record, and benchmarks report for our side.
/// </summary>
public sealed record BlasSelection
{
    /// <summary><c>mkl</c> (libtorch's own), <c>openblas</c> (a system library put in front of it) or <c>other</c>.</summary>
    public required string Provider { get; init; }

    public required string Version { get; init; }

    /// <summary>OpenBLAS's kernel set for this CPU (e.g. Cooperlake, SkylakeX, Haswell); null for MKL.</summary>
    public string? Kernels { get; init; }

    /// <summary>The file <c>sgemm_</c> comes from.</summary>
    public string? Library { get; init; }

    /// <summary>What was asked: <c>auto</c>, <c>mkl</c>, <c>openblas</c>, or <c>none</c> when <see cref="BlasProvider.Select"/> was not called.</summary>
    public required string Setting { get; init; }

    public required string Reason { get; init; }

    /// <summary>Square-sgemm GFLOP/s of each candidate, called directly (empty when nothing was measured).</summary>
    public IReadOnlyDictionary<string, double> SgemmGflops { get; init; } = new Dictionary<string, double>();

    /// <summary>The order of the square product measured, and on how many threads.</summary>
    public int ProbeSize { get; init; }

    public int ProbeThreads { get; init; }

    /// <summary>True when the measurements come from the cache file rather than this process.</summary>
    public bool FromCache { get; init; }

    public string? CacheFile { get; init; }

    /// <summary>What a bit-exact resume needs to match: provider, version and kernel set.</summary>
    public string Signature => Kernels is null ? $"{Provider} {Version}" : $"{Provider} {Version} {Kernels}";

    public override string ToString()
    {
        var s = $"{Signature}{(Library is null ? "" : $" ({Library})")}; {Reason}";
        if (SgemmGflops.Count > 0)
            s += string.Create(CultureInfo.InvariantCulture,
                $"; sgemm {ProbeSize}³ on {ProbeThreads} thread(s): {string.Join(", ", SgemmGflops.Select(kv => $"{kv.Key} {kv.Value:F0} GFLOP/s"))}{(FromCache ? " (cached)" : "")}");
        return s;
    }

    public JsonObject ToJson()
    {
        var measured = new JsonObject();
        foreach (var (k, v) in SgemmGflops) measured[k] = Math.Round(v, 1);
        return new JsonObject
        {
            ["provider"] = Provider,
            ["version"] = Version,
            ["kernels"] = Kernels,
            ["library"] = Library,
            ["setting"] = Setting,
            ["reason"] = Reason,
            ["sgemm_gflops"] = measured,
            ["probe_size"] = ProbeSize,
            ["probe_threads"] = ProbeThreads,
            ["from_cache"] = FromCache,
        };
    }
}
