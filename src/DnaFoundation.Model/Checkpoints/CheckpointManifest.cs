using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>One file of a checkpoint as it was written: path relative to the checkpoint folder, size and sha256.</summary>
public sealed record ManifestEntry(string Path, long Bytes, string Sha256);

/// <summary>
/// <c>manifest.json</c> inside a checkpoint or model folder: the size and sha256 of every file written there, taken
/// after the writers finished and before the folder was renamed into place. A reader checks the files it is about to
/// use against it, so a file damaged later (a bad disk, a partial copy, an edit) is reported by name instead of
/// loading garbage or failing deep inside libtorch. Folders written before manifests existed have none and are read
/// unverified.
/// </summary>
public static class CheckpointManifest
{
    public const string FileName = "manifest.json";
    public const string FormatName = "dnafm-checkpoint/1";

    /// <summary>Hashes every file under <paramref name="dir"/> and writes the manifest (atomically: temp + rename).</summary>
    public static IReadOnlyList<ManifestEntry> Write(string dir)
    {
        var entries = new List<ManifestEntry>();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(dir, file).Replace('\\', '/');
            if (relative == FileName || relative.EndsWith(".tmp", StringComparison.Ordinal)) continue;
            entries.Add(Describe(file, relative));
        }
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["files"] = new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject { ["path"] = e.Path, ["bytes"] = e.Bytes, ["sha256"] = e.Sha256 })]),
        };
        var path = Path.Combine(dir, FileName);
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return entries;
    }

    /// <summary>The manifest's entries, or null for a folder written without one.</summary>
    public static IReadOnlyList<ManifestEntry>? Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) return null;
        var root = ConfigLoader.ParseJson(File.ReadAllText(path), path) as JsonObject;
        if ((string?)(root?["format"] as JsonValue) != FormatName || root!["files"] is not JsonArray files)
            throw new DnaInputException($"not a checkpoint manifest (expected format {FormatName} and a files list)", path);
        var entries = new List<ManifestEntry>();
        foreach (var f in files)
        {
            if (f?["path"] is JsonValue p && p.TryGetValue<string>(out var name) && f["bytes"] is JsonValue b && b.TryGetValue<long>(out var bytes)
                && f["sha256"] is JsonValue h && h.TryGetValue<string>(out var sha) && name.Length > 0 && !name.Split('/').Contains(".."))
                entries.Add(new ManifestEntry(name, bytes, sha));
            else
                throw new DnaInputException($"manifest entry {f?.ToJsonString()} needs path, bytes and sha256", path);
        }
        return entries;
    }

    /// <summary>
    /// Checks the files of <paramref name="dir"/> against its manifest (only those in <paramref name="only"/> when
    /// given); returns one line per damaged or missing file, empty when intact or when the folder has no manifest.
    /// </summary>
    public static IReadOnlyList<string> Problems(string dir, IEnumerable<string>? only = null)
    {
        var entries = Read(dir);
        if (entries is null) return [];
        var wanted = only?.Select(o => Path.GetRelativePath(dir, Path.Combine(dir, o)).Replace('\\', '/')).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var e in entries)
        {
            if (wanted is not null && !wanted.Contains(e.Path)) continue;
            var file = Path.Combine(dir, e.Path);
            if (!File.Exists(file))
            {
                problems.Add($"{file}: missing (the checkpoint manifest lists it)");
                continue;
            }
            long bytes = new FileInfo(file).Length;
            if (bytes != e.Bytes)
                problems.Add($"{file}: {(bytes < e.Bytes ? "truncated" : "grown")}: {bytes.ToString(CultureInfo.InvariantCulture)} bytes, written as {e.Bytes.ToString(CultureInfo.InvariantCulture)}");
            else if (!string.Equals(Describe(file, e.Path).Sha256, e.Sha256, StringComparison.OrdinalIgnoreCase))
                problems.Add($"{file}: corrupted: sha256 differs from the one written");
        }
        return problems;
    }

    /// <summary>Throws an input error naming the first damaged file (and how many others there are).</summary>
    public static void Verify(string dir, IEnumerable<string>? only = null)
    {
        var problems = Problems(dir, only);
        if (problems.Count == 0) return;
        var more = problems.Count > 1 ? $" (and {problems.Count - 1} more damaged file(s))" : "";
        throw new DnaInputException($"{problems[0]}{more}; checkpoint {dir} cannot be used");
    }

    private static ManifestEntry Describe(string file, string relative)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return new ManifestEntry(relative, stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}
