using DnaFoundation.Data.Reference;
namespace DnaFoundation.Evaluation.Variants;

/// <summary>The status column of score-variants output: why a row has a score, or why it has none.</summary>
public static class VariantStatus
{
    public const string Ok = "ok";
    /// <summary>REF disagrees with the reference at POS: never scored (the VCF and FASTA are probably different builds).</summary>
    public const string RefMismatch = "ref_mismatch";
    public const string ContigNotFound = "contig_not_found";
    public const string OutOfRange = "position_out_of_range";
    /// <summary>An indel under a scorer that defines no indel score (the masked-marginal LLR is defined for SNVs).</summary>
    public const string IndelUnsupported = "indel_unsupported";
    public const string MnvUnsupported = "mnv_unsupported";
    public const string SymbolicAllele = "symbolic_allele";
    /// <summary>Token LLR only: the covering token is [UNK] (an N in a k-mer) or its alt spelling is not a token.</summary>
    public const string TokenNotInVocabulary = "token_not_in_vocabulary";
}

/// <summary>A VCF record checked against the reference: its resolved contig and window when usable, else a status.</summary>
public sealed record PreparedVariant(VcfRecord Record, string? Contig, string Status, string? ReferenceBases, VariantWindow? Window);

/// <summary>Checks each record against the reference (contig alias, range, REF agreement) and cuts its window.</summary>
public sealed class VariantPreparer(IReferenceGenome genome, int windowWidth)
{
    private readonly ContigAliases aliases = new(genome.Contigs);

    public PreparedVariant Prepare(VcfRecord r)
    {
        if (r.IsSymbolic) return new PreparedVariant(r, null, VariantStatus.SymbolicAllele, null, null);
        var contig = aliases.Resolve(r.Chrom);
        if (contig is null) return new PreparedVariant(r, null, VariantStatus.ContigNotFound, null, null);
        long p0 = r.Position - 1;
        if (p0 + r.Ref.Length > genome.Length(contig)) return new PreparedVariant(r, contig, VariantStatus.OutOfRange, null, null);
        var actual = genome.Fetch(contig, p0, p0 + r.Ref.Length);
        if (!string.Equals(actual, r.Ref, StringComparison.Ordinal))
            return new PreparedVariant(r, contig, VariantStatus.RefMismatch, actual, null);
        return new PreparedVariant(r, contig, VariantStatus.Ok, actual, VariantWindow.Centered(genome, contig, p0, windowWidth));
    }
}
