namespace DnaFoundation.Data.Fasta;

/// <summary>A FASTA header: the name is the first word after '>', as samtools and seqkit take it.</summary>
/// <param name="HeaderLine">1-based line of the '>' line, for error messages.</param>
/// <param name="SequenceOffset">Uncompressed byte offset of the first sequence line (the .fai OFFSET column).</param>
/// <param name="Header">The whole header line after '>' (what seqkit fx2tab -n prints).</param>
public sealed record FastaRecordInfo(string Name, string Description, string Header, long HeaderLine, long SequenceOffset);

/// <summary>
/// How a record's sequence is laid out in lines, tracked while streaming by the same rules <c>samtools faidx</c>
/// uses, so an index can be written without a second pass. <see cref="Problem"/> is why the layout cannot be
/// indexed (lines of different lengths, an empty line inside the sequence), or null.
/// </summary>
public sealed record FastaLayout(long Length, long SequenceOffset, int LineBases, int LineWidth, string? Problem, long? ProblemLine);
