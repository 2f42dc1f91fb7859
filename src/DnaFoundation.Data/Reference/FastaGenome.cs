using System.Text;
using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Data.Reference;

/// <summary>
/// <see cref="IReferenceGenome"/> over Data's indexed FASTA (.fai/.gzi region access). With
/// <paramref name="cacheContigs"/>, a contig is read whole on first use (chromatin binning touches every base;
/// chr20 is 63 Mbp), otherwise every fetch is a region read.
/// </summary>
public sealed class FastaGenome(IndexedFasta fasta, bool cacheContigs = false) : IReferenceGenome, IDisposable
{
    private string? cachedName;
    private string? cached;

    /// <summary>Opens an indexed FASTA (plain or bgzip; a missing .fai/.gzi is built as samtools would).</summary>
    public static FastaGenome Open(string path, bool cacheContigs = false) => new(IndexedFasta.Open(path), cacheContigs);

    /// <summary>The FASTA file this genome reads.</summary>
    public string Path => fasta.Path;

    /// <summary>The .fai entries, for samtools-style region parsing (<see cref="GenomicRegion.Parse"/>).</summary>
    public FaiIndex Index => fasta.Index;

    /// <inheritdoc />
    public IReadOnlyCollection<string> Contigs => fasta.Index.Entries.Select(e => e.Name).ToArray();

    /// <inheritdoc />
    public long Length(string contig) => fasta.Index[contig].Length;

    /// <inheritdoc />
    public string Fetch(string contig, long start, long end)
    {
        if (!cacheContigs) return Encoding.ASCII.GetString(fasta.Fetch(contig, start, end)).ToUpperInvariant();
        if (cachedName != contig)
        {
            cached = Encoding.ASCII.GetString(fasta.Fetch(contig, 0, Length(contig))).ToUpperInvariant();
            cachedName = contig;
        }
        return cached!.Substring((int)start, (int)(end - start));
    }

    /// <summary>Closes the FASTA.</summary>
    public void Dispose() => fasta.Dispose();
}
