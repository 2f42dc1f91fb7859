namespace DnaFoundation.Evaluation.Variants;

/// <summary>
/// One ALT allele of one VCF line (multi-allelic lines are split, one record per ALT, <see cref="AltIndex"/> 1-based).
/// <see cref="Position"/> is VCF's 1-based POS; <see cref="Line"/> is the line in the file, for messages.
/// </summary>
public sealed record VcfRecord(string Chrom, long Position, string Id, string Ref, string Alt, int AltIndex, int AltCount, long Line)
{
    public bool IsSnv => Ref.Length == 1 && Alt.Length == 1 && IsBases(Alt);

    /// <summary>Same-length substitution of more than one base (an MNV).</summary>
    public bool IsMnv => Ref.Length == Alt.Length && Ref.Length > 1 && IsBases(Alt);

    public bool IsIndel => Ref.Length != Alt.Length && IsBases(Alt);

    /// <summary>Symbolic (&lt;DEL&gt;), breakend, spanning-deletion (*) or missing (.) ALT: nothing to score.</summary>
    public bool IsSymbolic => !IsBases(Alt);

    private static bool IsBases(string s) => s.Length > 0 && s.All(c => "ACGTNacgtn".Contains(c));
}
