using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;

namespace DnaFoundation.Training.Data;

/// <summary>
/// Where pretraining data comes from: exactly one of
/// <list type="bullet">
/// <item><c>genome</c>: one indexed FASTA, streamed directly: random windows of the training regions (either strand),
/// a fixed tiling of held-out validation regions, and for LOGO-style multitask runs per-token region labels and
/// per-window chromatin labels from BED files;</item>
/// <item><c>shards</c>: a folder written by <c>dnafm data shard</c> (index.json + Parquet, ids or sequences), read by
/// the Data project's streaming loader (seeded shuffle buffer, read-ahead thread, disjoint row groups per rank); its
/// <c>validation</c> split (or that of <c>validation_shards</c>) validates;</item>
/// <item><c>manifest</c>: a multi-species genome manifest streamed directly, species-weighted: each genome's train
/// contigs for training, its validation contigs for validation.</item>
/// </list>
/// Relative paths are tried against the working directory, then the config's folder and its parents.
/// </summary>
public sealed record GenomeDataConfig : IValidatableConfig
{
    /// <summary>One FASTA (plain or bgzip, indexed on first use).</summary>
    public string Genome { get; init; } = "";

    /// <summary>A shard folder from <c>dnafm data shard</c>: its <c>train</c> split trains.</summary>
    public string Shards { get; init; } = "";

    /// <summary>Another shard folder whose <c>validation</c> split validates; empty = the <c>validation</c> split of <see cref="Shards"/>.</summary>
    public string ValidationShards { get; init; } = "";

    /// <summary>A genome manifest (data-manifests/*.json): species-weighted windows of every genome's train contigs; its validation contigs validate.</summary>
    public string Manifest { get; init; } = "";

    /// <summary>Where <c>dnafm data fetch</c> put a URL manifest's genomes (bgzip or plain FASTA: random access is needed).</summary>
    public string? DataDir { get; init; }

    /// <summary>Shards: row groups shuffled together (the shuffle buffer); the streaming loader's <c>shuffle_chunks</c>.</summary>
    [Range(1, 1 << 16)] public int ShuffleChunks { get; init; } = 8;

    /// <summary>Shards and manifests: micro-batches the loader thread prepares ahead of the trainer.</summary>
    [Range(1, 1024)] public int ReadAhead { get; init; } = 8;

    /// <summary>Genome: samtools-style regions to train on; empty = every contig, minus the validation regions' contigs.</summary>
    public string[] TrainRegions { get; init; } = [];

    /// <summary>Genome: held-out regions (e.g. the last megabases of a chromosome) for validation loss.</summary>
    public string[] ValidationRegions { get; init; } = [];

    /// <summary>
    /// Bases per row (padded or truncated to max_length tokens); with <see cref="Pack"/>, bases read per row (lengthened
    /// when they hold too few tokens). Shards: their windows were cut when sharding.
    /// </summary>
    [Range(8, 1_000_000)] public int WindowBp { get; init; } = 512;

    /// <summary>
    /// Rows of exactly max_length tokens cut from the token stream (the tokenizer's frame around each; no padding, no
    /// truncation) instead of windows of window_bp bases: for BPE, whose tokens per base vary. Genome and manifest:
    /// each row reads from a random start (validation: from tile starts) until it is full; shards: each stored window
    /// is cut into rows, its last partial row dropped.
    /// </summary>
    public bool Pack { get; init; }

    /// <summary>Reverse-complement half of the training windows (augmentation; shards holding ids are used as stored).</summary>
    public bool ReverseComplement { get; init; } = true;

    /// <summary>Genome and manifest: windows with more N than this fraction are skipped (assembly gaps).</summary>
    [Range(0.0, 1.0)] public double MaxNFraction { get; init; } = 0.05;

    /// <summary>Multitask: BED files whose intervals give per-token region classes 1..n (first listed wins; 0 = none).</summary>
    public string[] RegionBeds { get; init; } = [];

    /// <summary>Region intervals narrower than this are widened around their centre (EPDnew TSSs → 500-bp promoters).</summary>
    [Range(0, 1_000_000)] public int RegionMinWidthBp { get; init; }

    /// <summary>Multitask: BED files of chromatin features; a feature is positive when its peaks cover at least half of the window's central bin.</summary>
    public string[] ChromatinBeds { get; init; } = [];

    /// <summary>DeepSEA's central bin (200 bp).</summary>
    [Range(1, 1_000_000)] public int ChromatinBinBp { get; init; } = 200;

    [System.Text.Json.Serialization.JsonIgnore]
    public DataSourceKind Kind =>
        Given(Genome) ? DataSourceKind.Genome : Given(Shards) ? DataSourceKind.Shards : DataSourceKind.Manifest;

    private static bool Given(string? s) => !string.IsNullOrWhiteSpace(s);

    public IEnumerable<string> Validate()
    {
        var sources = new[] { ("data.genome", Genome), ("data.shards", Shards), ("data.manifest", Manifest) }.Where(x => Given(x.Item2)).Select(x => x.Item1).ToList();
        if (sources.Count != 1)
        {
            yield return sources.Count == 0
                ? "keys 'data.genome', 'data.shards', 'data.manifest': give exactly one (a FASTA, a dnafm data shard folder, or a genome manifest)"
                : $"keys {string.Join(", ", sources.Select(k => $"'{k}'"))}: give exactly one data source, not {sources.Count}";
            yield break;
        }
        var kind = Kind;
        if (kind == DataSourceKind.Genome && ValidationRegions.Length == 0)
            yield return "key 'data.validation_regions': give at least one held-out region for validation loss";
        if (kind != DataSourceKind.Genome)
        {
            foreach (var (key, used) in new[] { ("data.train_regions", TrainRegions.Length > 0), ("data.validation_regions", ValidationRegions.Length > 0) })
                if (used) yield return $"key '{key}': regions apply to data.genome only (shards and manifests split by contig)";
            if (RegionBeds.Length > 0 || ChromatinBeds.Length > 0)
                yield return $"keys 'data.region_beds', 'data.chromatin_beds': LOGO-style multitask labels need data.genome (windows with genome coordinates and token offsets), not {sources[0]}";
        }
        if (Given(ValidationShards) && kind != DataSourceKind.Shards)
            yield return "key 'data.validation_shards': only with data.shards";
        if (Given(DataDir) && kind != DataSourceKind.Manifest)
            yield return "key 'data.data_dir': only with data.manifest";
        if (ChromatinBeds.Length > 0 && ChromatinBinBp > WindowBp) yield return $"key 'data.chromatin_bin_bp': {ChromatinBinBp} is larger than data.window_bp ({WindowBp})";
    }
}

/// <summary>Which of the three data keys a config uses.</summary>
public enum DataSourceKind
{
    Genome,
    Shards,
    Manifest,
}
