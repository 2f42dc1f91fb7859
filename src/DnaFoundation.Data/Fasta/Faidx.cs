using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>
/// What <c>dnafm data faidx FILE [REGION...]</c> does, as <c>samtools faidx</c> does it: write FILE.fai (and
/// FILE.gzi for BGZF) when absent, then print each region as FASTA named by the region text, wrapped at
/// the requested line width. Zero-length regions print a header and a warning, as samtools does.
/// </summary>
public static class Faidx
{
    public static void Run(string fastaPath, IReadOnlyList<string> regions, TextWriter output, TextWriter warnings, int lineWidth = 60)
    {
        if (lineWidth <= 0) throw new DnaInputException($"line width must be positive, got {lineWidth}");
        using var fasta = IndexedFasta.Open(fastaPath);
        var line = new char[lineWidth];
        foreach (var text in regions)
        {
            var region = GenomicRegion.Parse(text, fasta.Index);
            output.Write('>');
            output.Write(text);
            output.Write('\n');
            if (region.Length == 0)
            {
                warnings.WriteLine($"warning: zero length sequence: {text}");
                continue;
            }
            var entry = fasta.Index[region.Name];
            var chunk = new byte[Math.Min(region.Length, 1 << 20) / lineWidth * lineWidth + lineWidth];
            long pos = region.Start;
            while (pos < region.End)
            {
                int n = (int)Math.Min(chunk.Length, region.End - pos);
                fasta.Fetch(entry, pos, chunk.AsSpan(0, n));
                for (int i = 0; i < n; i += lineWidth)
                {
                    int m = Math.Min(lineWidth, n - i);
                    for (int j = 0; j < m; j++) line[j] = (char)chunk[i + j];
                    output.Write(line, 0, m);
                    output.Write('\n');
                }
                pos += n;
            }
        }
    }
}
