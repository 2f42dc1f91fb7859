using DnaFoundation.Data.Reference;
namespace DnaFoundation.Evaluation.Variants;

/// <summary>
/// A reference window of fixed width around a variant, padded with N where it runs off the contig (as GPN's
/// <c>Genome.get_seq</c> does), so that variants near contig ends are scored instead of crashing or being dropped.
/// The variant's first REF base sits at <see cref="VariantOffset"/> = width / 2. <see cref="RightFlank"/> holds the
/// reference just past the window, so a deletion's ALT window is refilled with real bases rather than N.
/// </summary>
public sealed record VariantWindow(string Bases, int VariantOffset, long Start, string RightFlank)
{
    /// <summary>The window width used unless one is asked for (key <c>window</c>).</summary>
    public const int DefaultWidth = 128;

    /// <summary>Bases fetched past the window's right end (the longest deletion refilled with reference).</summary>
    public const int FlankSlack = 256;

    /// <param name="position0">0-based position of the variant's first REF base.</param>
    public static VariantWindow Centered(IReferenceGenome genome, string contig, long position0, int width)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width));
        int offset = width / 2;
        long start = position0 - offset;
        var all = genome.FetchPadded(contig, start, start + width + FlankSlack);
        return new VariantWindow(all[..width], offset, start, all[width..]);
    }

    /// <summary>
    /// The window with REF replaced by ALT at the variant, cut to the same width and offset: an insertion pushes the
    /// right flank out, a deletion pulls reference bases in from <see cref="RightFlank"/>.
    /// </summary>
    public string WithAllele(string @ref, string alt)
    {
        var full = Bases + RightFlank;
        var edited = full[..VariantOffset] + alt + full[Math.Min(full.Length, VariantOffset + @ref.Length)..];
        return edited.Length >= Bases.Length ? edited[..Bases.Length] : edited + new string('N', Bases.Length - edited.Length);
    }
}
