using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Masking;
using DnaFoundation.Training.Optimization;
using DnaFoundation.Training.Precision;

namespace DnaFoundation.Training;

/// <summary>Loss weights of the LOGO-style multitask objective; each loss is also reported on its own.</summary>
public sealed record MultitaskConfig
{
    [Range(0.0, 1000.0)] public double MlmWeight { get; init; } = 1.0;
    [Range(0.0, 1000.0)] public double RegionWeight { get; init; } = 1.0;
    [Range(0.0, 1000.0)] public double ChromatinWeight { get; init; } = 1.0;
}

/// <summary>
/// A pretraining run, bound strictly from <c>configs/train/NAME.json</c> (unknown keys are errors) and overridden by
/// the command line. The batch is given globally: <c>global_batch_size</c> = <c>micro_batch_size</c> × gradient
/// accumulation steps × ranks.
/// </summary>
public sealed record TrainerConfig : IValidatableConfig
{
    /// <summary>Architecture: a preset name from <c>configs/model/</c> (e.g. <c>tiny</c>), a config.json path, or a model directory whose weights start the run.</summary>
    public string Model { get; init; } = "tiny";

    /// <summary>Overrides of model config keys (<c>key=value</c>), e.g. <c>hidden_dropout_prob=0</c>.</summary>
    public string[] ModelOverrides { get; init; } = [];

    /// <summary>kmer:K, nt6, char, or a tokenizer.json / vocab.txt path. The model's vocab_size, pad and mask ids follow it.</summary>
    public string Tokenizer { get; init; } = "kmer:6";

    public GenomeDataConfig Data { get; init; } = new();

    /// <summary>Tokens per sequence, special tokens included.</summary>
    [Range(8, 1_000_000)] public int MaxLength { get; init; } = 128;

    [Range(1, 1_000_000)] public int MicroBatchSize { get; init; } = 16;

    [Range(1, 100_000_000)] public int GlobalBatchSize { get; init; } = 16;

    [Range(1, long.MaxValue)] public long MaxSteps { get; init; } = 1000;

    /// <summary>Stop after this many (non-padding) tokens, whichever of this and max_steps comes first; null = no limit.</summary>
    [Range(1, long.MaxValue)] public long? MaxTokens { get; init; }

    public PrecisionMode Precision { get; init; } = PrecisionMode.Fp32;

    public LossScalerConfig LossScaler { get; init; } = new();

    public OptimizerConfig Optimizer { get; init; } = new();

    public MaskingConfig Masking { get; init; } = new();

    public MultitaskConfig Multitask { get; init; } = new();

    public long Seed { get; init; } = 42;

    /// <summary>
    /// CUDA: deterministic kernels and cuBLAS workspace (Model.Runtime.Determinism), so a resumed run is bit-identical
    /// to an uninterrupted one; false trades that for speed. The CPU is deterministic either way.
    /// </summary>
    public bool Deterministic { get; init; } = true;

    /// <summary>Optimizer steps between checkpoints; the final step always writes one.</summary>
    [Range(1, long.MaxValue)] public long CheckpointEvery { get; init; } = 500;

    [Range(1, 1000)] public int KeepLast { get; init; } = 3;

    /// <summary>Optimizer steps between validation passes (0 = only at checkpoints and the end).</summary>
    [Range(0, long.MaxValue)] public long EvalEvery { get; init; } = 250;

    [Range(1, 100_000)] public int EvalBatches { get; init; } = 16;

    [Range(1, long.MaxValue)] public long LogEvery { get; init; } = 10;

    /// <summary>Training windows sampled (once, at the start) to estimate the tokenizer's unigram baseline.</summary>
    [Range(0, 10_000_000)] public int BaselineWindows { get; init; } = 2000;

    /// <summary>Data parallelism under mpirun: backend, collective timeout, cross-rank weight checksums.</summary>
    public DistributedConfig Distributed { get; init; } = new();

    public string Device { get; init; } = "auto";

    [Range(0, 1024)] public int Threads { get; init; }

    [System.Text.Json.Serialization.JsonIgnore] public bool IsMultitask => Data.RegionBeds.Length > 0 || Data.ChromatinBeds.Length > 0;

    public int AccumulationSteps(int worldSize) => GlobalBatchSize / (MicroBatchSize * worldSize);

    public IEnumerable<string> Validate()
    {
        if (GlobalBatchSize % MicroBatchSize != 0)
            yield return $"key 'global_batch_size': {GlobalBatchSize} is not a multiple of micro_batch_size ({MicroBatchSize})";
        if (Masking.Strategy == MaskingStrategy.KmerSpan && Masking.SpanLength is null && !Tokenizer.StartsWith("kmer:", StringComparison.OrdinalIgnoreCase))
            yield return "key 'masking.strategy': kmer-span needs an overlapping k-mer tokenizer (kmer:K) or an explicit masking.span_length";
    }

    /// <summary>Loads a config file with <c>key=value</c> overrides applied before binding.</summary>
    public static TrainerConfig Load(string path, IEnumerable<string>? overrides = null) => ConfigLoader.Load<TrainerConfig>(path, overrides);
}
