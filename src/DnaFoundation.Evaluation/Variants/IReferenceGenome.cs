namespace DnaFoundation.Evaluation.Variants;

/// <summary>Random access to reference contigs (an indexed FASTA in practice; a dictionary in tests).</summary>
public interface IReferenceGenome
{
    IReadOnlyCollection<string> Contigs { get; }

    long Length(string contig);

    /// <summary>Uppercase bases of [start, end), 0-based half-open, within the contig.</summary>
    string Fetch(string contig, long start, long end);
}

/// <summary>Contigs held in memory (tests, small references).</summary>
public sealed class InMemoryGenome(IReadOnlyDictionary<string, string> contigs) : IReferenceGenome
{
    public IReadOnlyCollection<string> Contigs => contigs.Keys.ToArray();

    public long Length(string contig) => contigs[contig].Length;

    public string Fetch(string contig, long start, long end) => contigs[contig][(int)start..(int)end].ToUpperInvariant();
}
