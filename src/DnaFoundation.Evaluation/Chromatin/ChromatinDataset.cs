using System.Globalization;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Data.Reference;
using DnaFoundation.Data.Intervals;

namespace DnaFoundation.Evaluation.Chromatin;

/// <summary>One feature of a chromatin folder: its name, BED path and report group (TF, DNase/FAIRE, histone, other).</summary>
public sealed record ChromatinFeature(string Name, string Bed, string Group);

/// <summary>
/// A folder of per-feature BED files (the layout of ../shared/data/chromatin/GRCh37_chr20: features.tsv plus
/// NAME.bed, and ENCODE_blacklist_v2.bed as mask) turned into multi-label bins with 1,000-bp contexts.
/// </summary>
public static class ChromatinDataset
{
    public const string BlacklistFile = "ENCODE_blacklist_v2.bed";

    /// <summary>Features listed in features.tsv (first column), grouped as LOGO/DeepSEA report them.</summary>
    public static IReadOnlyList<ChromatinFeature> Features(string dir)
    {
        var tsv = Path.Combine(dir, "features.tsv");
        if (!File.Exists(tsv)) throw new DnaInputException("features.tsv not found (one feature name per line, first column)", dir);
        var names = File.ReadLines(tsv).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')[0]).ToList();
        return names.Select(n =>
        {
            var bed = Path.Combine(dir, n + ".bed");
            if (!File.Exists(bed)) throw new DnaInputException($"feature '{n}' has no {n}.bed", tsv);
            return new ChromatinFeature(n, bed, GroupOf(n));
        }).ToList();
    }

    /// <summary>DeepSEA's three groups: histone marks (H2/H3/H4…), DNase/FAIRE accessibility, else TF (incl. POLR2A, CTCF); annotations apart.</summary>
    public static string GroupOf(string feature)
    {
        var mark = feature.Contains('_') ? feature[(feature.IndexOf('_') + 1)..] : feature;
        if (mark.StartsWith("H2", StringComparison.Ordinal) || mark.StartsWith("H3", StringComparison.Ordinal) || mark.StartsWith("H4", StringComparison.Ordinal)) return "histone";
        if (mark.StartsWith("DNase", StringComparison.OrdinalIgnoreCase) || mark.StartsWith("FAIRE", StringComparison.OrdinalIgnoreCase)) return "DNase/FAIRE";
        if (feature.StartsWith("CpG", StringComparison.Ordinal) || feature.StartsWith("EPDnew", StringComparison.Ordinal)) return "annotation";
        return "TF";
    }

    /// <summary>Bins of one contig with their split, labels and context; the BED chromosome may be an alias of the contig.</summary>
    /// <remarks>Intervals with end &lt; start (present in some real peak files) are dropped and listed in <paramref name="dropped"/>.</remarks>
    public static (IReadOnlyList<ChromatinFeature> Features, IReadOnlyList<ChromatinBin> Bins) Build(
        string dir, IReferenceGenome genome, string contig, (long, long) dev, (long, long) test, ChromatinBinning binning, IList<string> dropped)
    {
        var features = Features(dir);
        var aliases = new ContigAliases([contig]);
        IReadOnlyList<BedInterval> OnContig(string bed) => BedReader.Read(bed, dropped).Where(i => aliases.Resolve(i.Chrom) == contig).ToList();
        var blacklistPath = Path.Combine(dir, BlacklistFile);
        var blacklist = File.Exists(blacklistPath) ? OnContig(blacklistPath) : [];
        var bins = ChromatinBinner.Bin(genome, contig, features.Select(f => OnContig(f.Bed)).ToList(), blacklist, dev, test, binning);
        return (features, bins);
    }

    /// <summary>Parses "START-END" (0-based, half-open, commas allowed).</summary>
    public static (long, long) ParseRange(string text, string option)
    {
        var parts = text.Replace(",", "", StringComparison.Ordinal).Split('-');
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > a)
            return (a, b);
        throw new DnaInputException($"{option} '{text}' must look like START-END with END > START");
    }
}
