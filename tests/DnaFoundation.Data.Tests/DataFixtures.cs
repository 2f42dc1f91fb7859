using System.Text;
using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests;

/// <summary>Paths of the committed Data fixtures and goldens, and helpers shared by the test classes.</summary>
internal static class DataFixtures
{
    public static string Fasta(string name) => TestPaths.Fixture("data", "fasta", name);

    public static string Golden(params string[] parts) => TestPaths.Fixture(["data", "goldens", .. parts]);

    public static string Broken(string name) => TestPaths.Fixture("data", "broken", name);

    public static readonly string[] SmallLayouts = ["mixed", "crlf", "blank-lines", "no-final-newline", "blank-inside", "ragged"];

    public static readonly string[] IndexableLayouts = ["mixed", "crlf", "blank-lines", "no-final-newline"];

    /// <summary>All records of a small file, streamed in small pieces to exercise buffer edges.</summary>
    public static List<(string Name, string Sequence)> ReadAll(FastaReader reader, int chunk = 7)
    {
        var result = new List<(string, string)>();
        var buf = new byte[chunk];
        while (reader.NextRecord() is { } rec)
        {
            var sb = new StringBuilder();
            int n;
            while ((n = reader.Read(buf)) > 0) sb.Append(Encoding.ASCII.GetString(buf, 0, n));
            result.Add((rec.Name, sb.ToString()));
        }
        return result;
    }

    /// <summary>seqkit fx2tab output: header TAB sequence TAB; the name is the header's first word.</summary>
    public static List<(string Name, string Sequence)> SeqkitSequences(string layout) =>
        File.ReadAllLines(Golden("fx2tab-seq", layout + ".tsv"))
            .Where(l => l.Length > 0)
            .Select(l => l.TrimEnd('\t'))
            .Select(l => (l[..l.IndexOfAny([' ', '\t'])] is var n && n.Length > 0 ? n : l, l[(l.LastIndexOf('\t') + 1)..]))
            .ToList();

    public static string GzipCopy(string source, TempDir dir)
    {
        var dst = dir.File(Path.GetFileName(source) + ".gz");
        using var input = File.OpenRead(source);
        using var output = File.Create(dst);
        using var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal);
        input.CopyTo(gz);
        return dst;
    }

    /// <summary>The genomes under ../shared/data/genomes: (relative path, golden base name).</summary>
    public static readonly (string Path, string Base)[] SharedGenomes =
    [
        ("human/GRCh37_chr20.fa.gz", "GRCh37_chr20"),
        ("human/hg38_chr2_1-2333275.fa.gz", "hg38_chr2_1-2333275"),
        ("human/hg19_chr17_1-40000.fa", "hg19_chr17_1-40000"),
        ("human/GRCh37_minireference.fa.gz", "GRCh37_minireference"),
        ("bacteria/Ecoli_536.fa.gz", "Ecoli_536"),
        ("bacteria/Ecoli_MG1655-K12.fa.gz", "Ecoli_MG1655-K12"),
        ("bacteria/Hpylori_G27.fa.gz", "Hpylori_G27"),
        ("bacteria/Mleprae_TN.fa.gz", "Mleprae_TN"),
        ("bacteria/Mtuberculosis_H37Rv.fa.gz", "Mtuberculosis_H37Rv"),
        ("bacteria/Saureus_N315.fa.gz", "Saureus_N315"),
        ("bacteria/Vcholerae_O395.fa.gz", "Vcholerae_O395"),
        ("other/phage_lambda.fa.gz", "phage_lambda"),
        ("other/Celegans_subset.fa.gz", "Celegans_subset"),
        ("other/pseudopig_softmasked.fa.gz", "pseudopig_softmasked"),
    ];

    public static IEnumerable<object[]> SharedGenomeRows() => SharedGenomes.Select(g => new object[] { g.Path, g.Base });
}
