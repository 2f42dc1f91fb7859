using System.Globalization;
using System.IO.Compression;
using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Variants;

/// <summary>
/// Reads the first five VCF columns (CHROM POS ID REF ALT) from .vcf or .vcf.gz (gzip or bgzip); meta lines and the
/// #CHROM header are optional, as in LOGO's variant files. A malformed line is a <see cref="DnaInputException"/>
/// naming the file and line, never a skipped row.
/// </summary>
public static class VcfReader
{
    public static IEnumerable<VcfRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("VCF not found", path);
        return ReadLines(path, OpenText(path));
    }

    public static IEnumerable<VcfRecord> Read(TextReader reader, string name) => ReadLines(name, reader);

    private static TextReader OpenText(string path)
    {
        var stream = File.OpenRead(path);
        // .NET's GZipStream reads concatenated members, so BGZF (a series of gzip blocks) works too.
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".bgz", StringComparison.OrdinalIgnoreCase)
            ? new StreamReader(new GZipStream(stream, CompressionMode.Decompress))
            : new StreamReader(stream);
    }

    private static IEnumerable<VcfRecord> ReadLines(string path, TextReader reader)
    {
        using var _ = reader;
        long lineNo = 0;
        for (var raw = reader.ReadLine(); raw is not null; raw = reader.ReadLine())
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            foreach (var r in Parse(line, path, lineNo)) yield return r;
        }
    }

    internal static IEnumerable<VcfRecord> Parse(string line, string path, long lineNo)
    {
        var f = line.Split('\t');
        if (f.Length < 5)
        {
            var hint = f.Length == 1 && line.Contains(' ') ? " (columns must be separated by tabs)" : "";
            throw new DnaInputException($"expected at least 5 tab-separated columns (CHROM POS ID REF ALT), found {f.Length}{hint}", path, lineNo);
        }
        var chrom = f[0];
        if (chrom.Length == 0) throw new DnaInputException("empty CHROM", path, lineNo);
        if (!long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pos) || pos < 1)
            throw new DnaInputException($"POS '{f[1]}' is not a 1-based position", path, lineNo);
        var @ref = f[3].ToUpperInvariant();
        if (@ref.Length == 0 || @ref.Any(c => "ACGTN".IndexOf(c) < 0))
            throw new DnaInputException($"REF '{f[3]}' is not a run of A/C/G/T/N", path, lineNo);
        if (f[4].Length == 0) throw new DnaInputException("empty ALT (use '.' for none)", path, lineNo);
        var alts = f[4].Split(',');
        for (int i = 0; i < alts.Length; i++)
        {
            if (alts[i].Length == 0) throw new DnaInputException($"ALT '{f[4]}' has an empty allele", path, lineNo);
            var alt = alts[i].StartsWith('<') || alts[i].Contains('[') || alts[i].Contains(']') ? alts[i] : alts[i].ToUpperInvariant();
            yield return new VcfRecord(chrom, pos, f[2], @ref, alt, i + 1, alts.Length, lineNo);
        }
    }
}
