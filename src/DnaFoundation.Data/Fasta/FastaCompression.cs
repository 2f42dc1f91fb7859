namespace DnaFoundation.Data.Fasta;

/// <summary>How a FASTA file is stored. Only plain and BGZF files allow random access by region.</summary>
public enum FastaCompression
{
    Plain,
    Gzip,
    Bgzf,
}
