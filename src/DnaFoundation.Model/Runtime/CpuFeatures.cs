namespace DnaFoundation.Model.Runtime;

/// <summary>The CPU as Linux reports it (<c>/proc/cpuinfo</c>): feature flags and model; empty where they cannot be read.</summary>
public static class CpuFeatures
{
    private const string CpuInfo = "/proc/cpuinfo";

    private static readonly Lazy<IReadOnlyDictionary<string, string>> first = new(ReadFirstProcessor);

    private static readonly Lazy<IReadOnlySet<string>> flags = new(() =>
        (first.Value.TryGetValue("flags", out var line) ? line.Split(' ', StringSplitOptions.RemoveEmptyEntries) : []).ToHashSet(StringComparer.Ordinal));

    public static IReadOnlySet<string> Flags => flags.Value;

    /// <summary>
    /// "model name (vendor family F model M stepping S)", e.g. "AMD EPYC (AuthenticAMD family 25 model 17 stepping 1)":
    /// hypervisors often shorten the name, and the numbers tell Zen 3 from Zen 4. "unknown" where it cannot be read.
    /// </summary>
    public static string Model
    {
        get
        {
            var f = first.Value;
            if (f.Count == 0) return "unknown";
            string V(string key) => f.TryGetValue(key, out var v) ? v : "?";
            return $"{V("model name")} ({V("vendor_id")} family {V("cpu family")} model {V("model")} stepping {V("stepping")})";
        }
    }

    /// <summary>The flags that decide matrix-product speed (FMA, AVX2, AVX-512, bf16/fp16, AMX), in a fixed order.</summary>
    public static string MatrixFlags(IReadOnlySet<string> cpuFlags)
    {
        string[] wanted = ["fma", "avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_fp16"];
        var present = wanted.Where(cpuFlags.Contains).ToList();
        return present.Count == 0 ? "none of fma/avx2/avx512/amx" : string.Join(' ', present);
    }

    private static IReadOnlyDictionary<string, string> ReadFirstProcessor()
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(CpuInfo)) return fields;
        foreach (var line in File.ReadLines(CpuInfo))
        {
            if (line.Length == 0) break;                                    // the first processor's block ends here
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0) fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        return fields;
    }
}
