using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Evaluation.Chromatin;

/// <summary>
/// DeepSEA-style binning (Zhou &amp; Troyanskaya 2015): the contig is cut into bins of <see cref="BinSize"/> bp; a
/// feature labels a bin positive when its (merged) peaks cover at least <see cref="MinCoverFraction"/> of the bin;
/// the model sees <see cref="ContextSize"/> bp centred on the bin. Splits are contiguous regions, so neighbouring
/// bins (which share most of their context) never fall on both sides; bins whose context straddles a split boundary
/// are dropped for the same reason.
/// </summary>
public sealed record ChromatinBinning
{
    [Range(1, 100_000)] public int BinSize { get; init; } = 200;
    [Range(1, 1_000_000)] public int ContextSize { get; init; } = 1000;
    [Range(0.0, 1.0)] public double MinCoverFraction { get; init; } = 0.5;
    /// <summary>Bins whose own bases contain more N than this fraction are dropped (gaps have no signal).</summary>
    [Range(0.0, 1.0)] public double MaxBinNFraction { get; init; }
    /// <summary>Keep only bins with at least one positive label (DeepSEA kept bins with ≥ 1 TF event); false keeps all.</summary>
    public bool RequireAnyPositive { get; init; } = true;
}

public enum ChromatinSplit { Train, Dev, Test }

/// <summary>One bin: start of the bin (0-based), its split and its labels (one byte per feature).</summary>
public sealed record ChromatinBin(long Start, ChromatinSplit Split, byte[] Labels);
