namespace DnaFoundation.Data.Reference;

/// <summary>
/// Maps a VCF CHROM to the reference's contig name: exact, then with "chr" added or removed (UCSC "chr20" vs
/// Ensembl/GRCh37 "20"), then the mitochondrion's chrM/MT. Null when nothing matches.
/// </summary>
public sealed class ContigAliases
{
    private readonly HashSet<string> names;

    /// <summary>Resolves against these reference contig names.</summary>
    public ContigAliases(IEnumerable<string> referenceContigs) => names = new HashSet<string>(referenceContigs, StringComparer.Ordinal);

    /// <summary>The reference's name for <paramref name="chrom"/>, or null.</summary>
    public string? Resolve(string chrom)
    {
        if (names.Contains(chrom)) return chrom;
        foreach (var candidate in Candidates(chrom))
            if (names.Contains(candidate)) return candidate;
        return null;
    }

    private static IEnumerable<string> Candidates(string chrom)
    {
        bool hasChr = chrom.StartsWith("chr", StringComparison.OrdinalIgnoreCase);
        var bare = hasChr ? chrom[3..] : chrom;
        if (hasChr) yield return bare;
        else yield return "chr" + chrom;
        if (bare is "M" or "MT")
        {
            yield return "MT";
            yield return "chrM";
            yield return "M";
        }
    }
}
