using System.Text.Json;
using System.Text.Json.Serialization;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Shards;

/// <summary>One finished shard: its split, file (relative to the index), rows, sha256 and size.</summary>
public sealed record ShardEntry(string Split, string File, long Rows, string Sha256, long Bytes);

/// <summary>
/// index.json beside the shards: what they hold, the settings that made them (so a resumed run cannot mix
/// settings), and every finished shard with its row count and checksum. Rewritten atomically after each shard.
/// </summary>
public sealed record ShardIndex(
    string Format,
    ShardContent Content,
    string? Tokenizer,
    string Settings,
    int RowsPerShard,
    IReadOnlyList<ShardEntry> Shards,
    IReadOnlyList<string> CompleteSplits)
{
    public const string FormatName = "dnafm-shards/1";
    public const string FileName = "index.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        AllowDuplicateProperties = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public long RowsIn(string split) => Shards.Where(s => s.Split == split).Sum(s => s.Rows);

    public static ShardIndex? TryRead(string dir)
    {
        var path = Path.Combine(dir, FileName);
        return File.Exists(path) ? Read(path) : null;
    }

    public static ShardIndex Read(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (IOException e)
        {
            throw new DnaInputException($"cannot read shard index: {e.Message}", path, inner: e);
        }
    }

    /// <summary>Reads index text; <paramref name="path"/> names it in errors.</summary>
    public static ShardIndex Parse(string json, string path)
    {
        try
        {
            var index = JsonSerializer.Deserialize<ShardIndex>(json, Json) ?? throw new DnaInputException("empty shard index", path);
            if (index.Format != FormatName) throw new DnaInputException($"unknown shard index format '{index.Format}' (expected {FormatName})", path);
            CheckEntries(index, path);
            return index;
        }
        catch (JsonException e)
        {
            throw new DnaInputException($"not a valid shard index: {e.Message}", path, e.LineNumber + 1, inner: e);
        }
    }

    /// <summary>Every list present and every shard a file inside the index's folder (never an absolute or ../ path).</summary>
    private static void CheckEntries(ShardIndex index, string path)
    {
        if (index.Settings is null || index.Shards is null || index.CompleteSplits is null)
            throw new DnaInputException("shard index lacks settings, shards or complete_splits", path);
        foreach (var s in index.Shards)
        {
            if (s?.Split is null || s.File is null || s.Sha256 is null)
                throw new DnaInputException("a shard entry lacks split, file or sha256", path);
            if (s.File.Length == 0 || Path.IsPathRooted(s.File) || s.File.Split('/', '\\').Any(part => part is "" or "." or ".."))
                throw new DnaInputException($"shard file '{s.File}' is not a path inside the shard folder", path);
            if (s.Rows < 0 || s.Bytes < 0) throw new DnaInputException($"shard '{s.File}': negative rows or bytes", path);
        }
    }

    public void Write(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json) + "\n");
}
