using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Genomes;

/// <summary>
/// A genome manifest (data-manifests/*.json): which genomes a corpus is built from, where each comes from, how to
/// check it, how much each species weighs in sampling and which contigs go to train / validation / test.
/// Manifests hold URLs and checksums, never data.
/// </summary>
public sealed record GenomeManifest(
    string Name,
    [property: MinLength(1)] IReadOnlyList<SpeciesGenome> Species,
    string? Description = null) : IValidatableConfig
{
    /// <summary>The file the manifest was read from (relative FASTA paths resolve against its folder).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? SourcePath { get; init; }

    public static GenomeManifest Load(string path)
    {
        var m = ConfigLoader.Load<GenomeManifest>(path);
        return m with { SourcePath = Path.GetFullPath(path) };
    }

    public IEnumerable<string> Validate()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Species)
        {
            if (!seen.Add(s.Name)) yield return $"species '{s.Name}' is listed twice";
            if (!(s.Weight >= 0) || double.IsInfinity(s.Weight)) yield return $"species '{s.Name}': key 'weight' must be a finite number ≥ 0, got {s.Weight}";
            if (s.ChecksumList is { Algorithm: not ("md5" or "sha256" or "bsd-sum") } cl) yield return $"species '{s.Name}': checksum_list.algorithm must be md5, sha256 or bsd-sum, got '{cl.Algorithm}'";
            if (s.Sha256 is { } h && (h.Length != 64 || !h.All(Uri.IsHexDigit))) yield return $"species '{s.Name}': sha256 must be 64 hex digits";
            if (s.Md5 is { } m && (m.Length != 32 || !m.All(Uri.IsHexDigit))) yield return $"species '{s.Name}': md5 must be 32 hex digits";
        }
    }
}

/// <summary>One genome of a manifest.</summary>
/// <param name="Name">Species key used in shards and sampling weights, e.g. "homo_sapiens".</param>
/// <param name="Assembly">Assembly name as published, e.g. "GRCh38" or "ASM584v2".</param>
/// <param name="Fasta">An http(s) URL, or a path relative to the manifest's folder.</param>
/// <param name="Sha256">Checksum of the file as downloaded, when published (or computed by whoever wrote the manifest).</param>
/// <param name="Md5">MD5 as UCSC publishes it (md5sum.txt), when that is what is published.</param>
/// <param name="ChecksumList">A published checksum file to look the download up in (UCSC md5sum.txt, Ensembl CHECKSUMS).</param>
/// <param name="Weight">Relative sampling weight across species (HyenaDNA / GPN-style balancing).</param>
/// <param name="Splits">Contig-level train / validation / test assignment.</param>
/// <param name="Source">Where the genome is described (publication or assembly page).</param>
public sealed record SpeciesGenome(
    string Name,
    string Assembly,
    string Fasta,
    string? Sha256 = null,
    string? Md5 = null,
    ChecksumList? ChecksumList = null,
    double Weight = 1.0,
    ContigSplits? Splits = null,
    string? Source = null,
    string? FileName = null)
{
    public bool IsRemote => Fasta.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || Fasta.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The local file name a download is stored under.</summary>
    public string LocalFileName => FileName ?? (IsRemote ? Path.GetFileName(new Uri(Fasta).AbsolutePath) : Path.GetFileName(Fasta));

    public ContigSplits SplitsOrDefault => Splits ?? new ContigSplits();
}

/// <summary>A published checksum list: <c>md5</c> / <c>sha256</c> lines "HEX  NAME", or <c>bsd-sum</c> lines "SUM BLOCKS NAME" (Ensembl CHECKSUMS).</summary>
public sealed record ChecksumList(
    string Url,
    string Algorithm,
    string? Entry = null);

/// <summary>
/// Which contigs go where. Names or globs (<c>*</c>, <c>?</c>). Validation and test are listed; train is everything
/// else unless listed too. <see cref="Exclude"/> drops contigs from every split (alts, unplaced, chrM…).
/// </summary>
public sealed record ContigSplits(
    IReadOnlyList<string>? Train = null,
    IReadOnlyList<string>? Validation = null,
    IReadOnlyList<string>? Test = null,
    IReadOnlyList<string>? Exclude = null)
{
    /// <summary>The split a contig belongs to, or null when excluded.</summary>
    public DataSplit? SplitOf(string contig)
    {
        if (Matches(Exclude, contig)) return null;
        if (Matches(Validation, contig)) return DataSplit.Validation;
        if (Matches(Test, contig)) return DataSplit.Test;
        if (Train is null || Matches(Train, contig)) return DataSplit.Train;
        return null;
    }

    private static bool Matches(IReadOnlyList<string>? patterns, string name) =>
        patterns is not null && patterns.Any(p => Glob(p, name));

    internal static bool Glob(string pattern, string name)
    {
        if (!pattern.Contains('*') && !pattern.Contains('?')) return pattern == name;
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(name, regex);
    }
}

public enum DataSplit
{
    Train,
    Validation,
    Test,
}
