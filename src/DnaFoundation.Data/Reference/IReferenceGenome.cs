namespace DnaFoundation.Data.Reference;

/// <summary>
/// Random access to the contigs of a reference genome: an indexed FASTA in practice (<see cref="FastaGenome"/>), a
/// dictionary in tests (<see cref="InMemoryGenome"/>). Coordinates are 0-based, half-open, as in BED.
/// </summary>
public interface IReferenceGenome
{
    /// <summary>Contig names in the reference's own order (the FASTA's record order).</summary>
    IReadOnlyCollection<string> Contigs { get; }

    /// <summary>Bases in <paramref name="contig"/>; a name the reference lacks is a <see cref="Core.DnaInputException"/>.</summary>
    long Length(string contig);

    /// <summary>Uppercase bases of [start, end), 0-based half-open, within the contig.</summary>
    string Fetch(string contig, long start, long end);
}

/// <summary>Contigs held in memory (tests, small references).</summary>
public sealed class InMemoryGenome(IReadOnlyDictionary<string, string> contigs) : IReferenceGenome
{
    /// <inheritdoc />
    public IReadOnlyCollection<string> Contigs => contigs.Keys.ToArray();

    /// <inheritdoc />
    public long Length(string contig) => contigs.TryGetValue(contig, out var s) ? s.Length
        : throw new Core.DnaInputException($"no sequence named '{contig}' (known: {string.Join(", ", contigs.Keys.Take(5))})");

    /// <inheritdoc />
    public string Fetch(string contig, long start, long end) => contigs[contig][(int)start..(int)end].ToUpperInvariant();
}

/// <summary>Reads that every user of a reference needs.</summary>
public static class ReferenceGenomeExtensions
{
    /// <summary>
    /// Bases of [start, end) with N wherever the interval runs off the contig (as GPN's <c>Genome.get_seq</c>
    /// pads), so windows centred near a contig end keep their width.
    /// </summary>
    public static string FetchPadded(this IReferenceGenome genome, string contig, long start, long end)
    {
        long length = genome.Length(contig);
        long from = Math.Max(start, 0), to = Math.Min(end, length);
        var result = new char[end - start];
        Array.Fill(result, 'N');
        if (from < to) genome.Fetch(contig, from, to).CopyTo(result.AsSpan((int)(from - start)));
        return new string(result);
    }
}
