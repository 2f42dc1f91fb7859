using DnaFoundation.Core;
using System.Text.Json;

namespace DnaFoundation.Data.Genomes;

/// <summary>
/// FILE.fetch.json beside a genome <c>dnafm data fetch</c> recompressed to BGZF: the published file it came from
/// (size, the checksums computed from it and which published ones it was verified against) and the conversion
/// (size and sha256 of the BGZF). The published checksum no longer fits the file on disk, so a re-run checks the
/// file against this record and the manifest's checksum against the recorded digests, without downloading again.
/// </summary>
public sealed record FetchRecord(
    string Format,
    string Species,
    string Source,
    PublishedFile Published,
    BgzfConversion Conversion)
{
    public const string FormatName = "dnafm-fetch/1";
    public const string Suffix = ".fetch.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string PathFor(string genome) => genome + Suffix;

    /// <summary>The record beside <paramref name="genome"/>, or null when there is none or it cannot be read.</summary>
    public static FetchRecord? TryRead(string genome)
    {
        var path = PathFor(genome);
        if (!File.Exists(path)) return null;
        try
        {
            var r = JsonSerializer.Deserialize<FetchRecord>(File.ReadAllText(path), Json);
            return r?.Format == FormatName ? r : null;
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;   // an unreadable record only costs a re-verification of the published file
        }
    }

    public void Write(string genome) => AtomicFile.WriteAllText(PathFor(genome), JsonSerializer.Serialize(this, Json) + "\n");
}

/// <param name="Verified">What the published file was checked against, e.g. "md5 from https://…/md5sum.txt".</param>
public sealed record PublishedFile(string FileName, long Bytes, string? Sha256, string? Md5, string? BsdSum, IReadOnlyList<string> Verified)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public FileDigests Digests => new(Bytes, Sha256, Md5, BsdSum);
}

/// <param name="OriginalKept">File name of the published file kept beside the BGZF (--keep-original), or null.</param>
public sealed record BgzfConversion(string To, string Tool, int Level, long UncompressedBytes, long Bytes, string Sha256, string? OriginalKept, DateTimeOffset At);
