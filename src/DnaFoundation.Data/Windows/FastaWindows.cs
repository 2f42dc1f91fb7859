using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Data.Windows;

/// <summary>Streams the windows of a FASTA file, contig by contig, without holding a contig in memory.</summary>
public static class FastaWindows
{
    /// <param name="includeContig">Which contigs to cut (e.g. those of one split); others are skipped unread.</param>
    public static IEnumerable<GenomeWindow> Read(string path, string species, WindowOptions options, Func<string, bool>? includeContig = null, int threads = 0)
    {
        using var reader = FastaReader.Open(path, threads);
        var chunk = new byte[1 << 16];
        var pending = new Queue<GenomeWindow>();
        while (reader.NextRecord() is { } rec)
        {
            if (includeContig is not null && !includeContig(rec.Name)) continue;
            var cutter = new WindowCutter(options, (start, bases) =>
                pending.Enqueue(new GenomeWindow(species, rec.Name, start, start + bases.Length, '+', bases.ToArray())));
            int n;
            while ((n = reader.Read(chunk)) > 0)
            {
                cutter.Push(chunk.AsSpan(0, n));
                while (pending.Count > 0) yield return pending.Dequeue();
            }
            cutter.Finish();
            while (pending.Count > 0) yield return pending.Dequeue();
        }
    }
}
