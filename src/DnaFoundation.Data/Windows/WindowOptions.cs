using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Data.Windows;

/// <summary>
/// How contigs are cut into windows. N-aware as GPN's "defined intervals": runs of at least
/// <see cref="SplitAtNRun"/> N split a contig into segments that windows never cross, windows are tiled from each
/// segment's start with <see cref="Stride"/>, and windows with more than <see cref="MaxNFraction"/> N are skipped.
/// </summary>
public sealed record WindowOptions(
    [property: Range(1, 1 << 24)] int Length = 1000,
    [property: Range(0, 1 << 24)] int Stride = 0,
    [property: Range(1, int.MaxValue)] int SplitAtNRun = 50,
    [property: Range(0.0, 1.0)] double MaxNFraction = 0.1)
{
    /// <summary>Stride in bases; 0 means non-overlapping windows (stride = length).</summary>
    public int EffectiveStride => Stride > 0 ? Stride : Length;
}
