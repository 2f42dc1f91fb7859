using System.Text.Json;
using System.Text.Json.Nodes;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// The sgemm measurements of one machine setup, as <see cref="BlasChoiceCache"/> keeps them: the best rate each
/// library reached over <see cref="Samples"/> measurements (another process on the cores only ever lowers a rate),
/// and whether one of them ran on otherwise idle cores.
/// </summary>
internal sealed record BlasProbe(Dictionary<string, double> Gflops, int Size, int Threads, int Samples = 1, bool Quiet = false)
{
    /// <summary>Measurements taken on a busy machine before the cached rates are trusted anyway.</summary>
    public const int TrustedAfter = 3;

    /// <summary>Whether the rates are good enough to use without measuring again.</summary>
    public bool Settled => Quiet || Samples >= TrustedAfter;

    /// <summary>This measurement merged into an earlier one of the same setup (best rate per library).</summary>
    public BlasProbe MergedWith(BlasProbe? earlier) => earlier is null || earlier.Size != Size ? this : this with
    {
        Gflops = Gflops.Keys.Union(earlier.Gflops.Keys).ToDictionary(k => k, k => Math.Max(Gflops.GetValueOrDefault(k), earlier.Gflops.GetValueOrDefault(k))),
        Samples = earlier.Samples + Samples,
        Quiet = earlier.Quiet || Quiet,
    };
}

/// <summary>
/// <c>$XDG_CACHE_HOME/dnafm/blas.json</c> (else <c>~/.cache/dnafm/blas.json</c>): the measured sgemm rates per key
/// (CPU model, cores, the two libraries' files and versions, the variables that change their kernels), so the
/// provider is measured once per machine setup (up to <see cref="BlasProbe.TrustedAfter"/> times while other
/// processes keep the cores busy) and a start-up costs a lookup. A file that cannot be read or written is ignored:
/// the next start measures again.
/// </summary>
internal static class BlasChoiceCache
{
    public const string FileName = "blas.json";
    private const int MaxEntries = 32;

    /// <summary>The cache file, or null where no home or cache folder is known.</summary>
    public static string? DefaultFile()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "dnafm", FileName);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "dnafm", FileName);
    }

    public static BlasProbe? Read(string file, string key)
    {
        try
        {
            if (!File.Exists(file) || JsonNode.Parse(File.ReadAllText(file))?[key] is not JsonObject entry) return null;
            var gflops = entry["gflops"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
            return new BlasProbe(gflops, entry["size"]!.GetValue<int>(), entry["threads"]!.GetValue<int>(),
                entry["samples"]?.GetValue<int>() ?? 1, entry["quiet"]?.GetValue<bool>() ?? false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            return null;
        }
    }

    public static void Write(string file, string key, BlasProbe probe)
    {
        try
        {
            JsonObject all;
            try
            {
                all = File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? [] : [];
            }
            catch (JsonException)
            {
                all = [];
            }
            var gflops = new JsonObject();
            foreach (var (k, v) in probe.Gflops) gflops[k] = Math.Round(v, 1);
            all.Remove(key);
            all[key] = new JsonObject
            {
                ["gflops"] = gflops,
                ["size"] = probe.Size,
                ["threads"] = probe.Threads,
                ["samples"] = probe.Samples,
                ["quiet"] = probe.Quiet,
                ["measured"] = DateTimeOffset.UtcNow.ToString("o"),
            };
            while (all.Count > MaxEntries) all.Remove(all.First().Key);    // oldest first: entries are appended
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            // Written whole to a private name, then renamed: a concurrent reader sees the old file or the new one.
            var temp = $"{file}.tmp-{Environment.ProcessId}";
            File.WriteAllText(temp, all.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(temp, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only home: measure again next time.
        }
    }
}
