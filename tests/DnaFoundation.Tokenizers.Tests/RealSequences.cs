using System.IO.Compression;
using System.Text;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Tokenizers.Tests;

/// <summary>Reads real sequence for tests: committed fixtures, or slices of the shared genomes.</summary>
internal static class RealSequences
{
    /// <summary>hg38 chr2:9,001-29,000: 1,000 N, then soft-masked sequence (lowercase repeats).</summary>
    public static string SoftMaskedChr2() => ReadFasta(TestPaths.Fixture("tokenizers", "hg38_chr2_9001-29000_softmasked.fa"), int.MaxValue);

    /// <summary>The first <paramref name="maxBases"/> bases of the first record of a (gzipped) FASTA file.</summary>
    public static string ReadFasta(string path, int maxBases)
    {
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(s, Encoding.ASCII);
        var sb = new StringBuilder();
        string? line;
        bool inRecord = false;
        while (sb.Length < maxBases && (line = reader.ReadLine()) is not null)
        {
            if (line.StartsWith('>'))
            {
                if (inRecord) break;
                inRecord = true;
                continue;
            }
            sb.Append(line.AsSpan().TrimEnd());
        }
        return sb.Length > maxBases ? sb.ToString(0, maxBases) : sb.ToString();
    }

    /// <summary>A stretch of chr20 (uppercase, N-free away from telomere/centromere) for cross-checks.</summary>
    public static string Chr20(int skipBases, int bases)
    {
        var path = TestPaths.Shared("genomes", "human", "GRCh37_chr20.fa.gz");
        return ReadFasta(path, skipBases + bases)[skipBases..];
    }
}
