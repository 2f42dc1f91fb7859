using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;

namespace DnaFoundation.Training.Data;

/// <summary>
/// Pretraining data streamed straight from an indexed genome: random windows of the training regions (either
/// strand), a fixed tiling of held-out validation regions, and for LOGO-style multitask runs per-token region labels
/// and per-window chromatin labels from BED files.
/// </summary>
public sealed record GenomeDataConfig : IValidatableConfig
{
    /// <summary>FASTA (plain or bgzip, indexed on first use); relative paths are tried against the working directory, then the config's folder.</summary>
    public string Genome { get; init; } = "";

    /// <summary>samtools-style regions to train on; empty = every contig, minus the validation regions' contigs.</summary>
    public string[] TrainRegions { get; init; } = [];

    /// <summary>Held-out regions (e.g. the last megabases of a chromosome) for validation loss.</summary>
    public string[] ValidationRegions { get; init; } = [];

    [Range(8, 1_000_000)] public int WindowBp { get; init; } = 512;

    /// <summary>Reverse-complement half of the training windows (augmentation).</summary>
    public bool ReverseComplement { get; init; } = true;

    /// <summary>Windows with more N than this fraction are skipped (assembly gaps).</summary>
    [Range(0.0, 1.0)] public double MaxNFraction { get; init; } = 0.05;

    /// <summary>Multitask: BED files whose intervals give per-token region classes 1..n (first listed wins; 0 = none).</summary>
    public string[] RegionBeds { get; init; } = [];

    /// <summary>Region intervals narrower than this are widened around their centre (EPDnew TSSs → 500-bp promoters).</summary>
    [Range(0, 1_000_000)] public int RegionMinWidthBp { get; init; }

    /// <summary>Multitask: BED files of chromatin features; a feature is positive when its peaks cover at least half of the window's central bin.</summary>
    public string[] ChromatinBeds { get; init; } = [];

    /// <summary>DeepSEA's central bin (200 bp).</summary>
    [Range(1, 1_000_000)] public int ChromatinBinBp { get; init; } = 200;

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Genome)) yield return "key 'data.genome': a FASTA path is required";
        if (ChromatinBeds.Length > 0 && ChromatinBinBp > WindowBp) yield return $"key 'data.chromatin_bin_bp': {ChromatinBinBp} is larger than data.window_bp ({WindowBp})";
    }
}
