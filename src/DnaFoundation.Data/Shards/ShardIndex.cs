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
            return index;
        }
        catch (JsonException e)
        {
            throw new DnaInputException($"not a valid shard index: {e.Message}", path, e.LineNumber + 1, inner: e);
        }
    }

    public void Write(string dir) => AtomicFile.WriteAllText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, Json) + "\n");
}
