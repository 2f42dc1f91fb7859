using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Datasets;

/// <summary>
/// Lines of a CSV or TSV file split into fields, with the 1-based line number kept for errors. The delimiter follows
/// the extension (.tsv/.txt: tab, anything else: comma). GUE files hold DNA and integers only, so no quoting is
/// supported; a quote character is an error rather than a silent mis-split.
/// </summary>
internal static class DelimitedReader
{
    public static char DelimiterFor(string path)
    {
        var name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        var ext = Path.GetExtension(name).ToLowerInvariant();
        return ext is ".tsv" or ".txt" or ".tab" ? '\t' : ',';
    }

    public static IEnumerable<(long Line, string[] Fields)> Read(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("file not found", path);
        char delimiter = DelimiterFor(path);
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionMode.Decompress) : stream);
        long lineNo = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Length == 0) continue;
            if (line.Contains('"')) throw new DnaInputException("quoted fields are not supported (GUE files need none)", path, lineNo);
            yield return (lineNo, line.TrimEnd('\r').Split(delimiter));
        }
    }

    /// <summary>Checks a DNA field: letters only (IUPAC codes and lowercase pass; tokenizers decide what they mean).</summary>
    public static string Sequence(string value, string path, long line)
    {
        var s = value.Trim();
        if (s.Length == 0) throw new DnaInputException("empty sequence", path, line);
        foreach (var c in s)
            if (!char.IsAsciiLetter(c)) throw new DnaInputException($"sequence holds '{c}', which is not a nucleotide letter", path, line);
        return s;
    }
}
