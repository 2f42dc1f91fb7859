using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;
using DnaFoundation.Training.Precision;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>What is learned: one class per sequence, independent 0/1 labels per sequence, or one class per token.</summary>
public enum FineTuneTask { SingleLabel, MultiLabel, Token }

/// <summary>
/// LoRA as DNABERT-2's <c>train.py</c> configures PEFT: rank, alpha (scale = alpha / rank), dropout on the adapter
/// input, and target modules by name: <c>query</c>, <c>key</c>, <c>value</c> (slices of the fused projection),
/// <c>dense</c> (attention output), <c>ffn_up</c>, <c>ffn_down</c>. The base weights are frozen; the head trains.
/// </summary>
public sealed record LoraOptions
{
    [Range(1, 4096)] public int Rank { get; init; } = 8;
    [Range(0.0, 1e6)] public double Alpha { get; init; } = 32;
    /// <summary>Must be 0: adapter-input dropout has no weight-space form (see <see cref="LoraAttachment"/>).</summary>
    [Range(0.0, 0.0)] public double Dropout { get; init; }
    public string[] TargetModules { get; init; } = ["query", "value"];
}

/// <summary>
/// One fine-tuning run. Batches are global (examples per optimizer step) whatever the micro-batch: the gradient
/// of a step is the mean over its global batch however it was split, so results do not depend on device count or
/// accumulation. Evaluation on dev every <see cref="EvalSteps"/> and at the end; the best evaluation (by dev loss,
/// or dev MCC / mean AUROC) is the model kept. <see cref="Patience"/> &gt; 0 stops after that many evaluations
/// without improvement.
/// </summary>
public sealed record FineTuneConfig : IValidatableConfig
{
    public FineTuneTask Task { get; init; } = FineTuneTask.SingleLabel;
    [Range(1e-8, 1.0)] public double LearningRate { get; init; } = 3e-5;
    [Range(1, 65536)] public int GlobalBatch { get; init; } = 32;
    [Range(1, 65536)] public int MicroBatch { get; init; } = 32;
    [Range(1, 65536)] public int EvalBatch { get; init; } = 64;
    [Range(3, 1 << 20)] public int MaxLength { get; init; } = 128;
    [Range(0.0, 1000.0)] public double Epochs { get; init; } = 3;
    [Range(0, int.MaxValue)] public int MaxSteps { get; init; }
    [Range(0, int.MaxValue)] public int WarmupSteps { get; init; } = 50;
    [Range(1, int.MaxValue)] public int EvalSteps { get; init; } = 200;
    [Range(0.0, 10.0)] public double WeightDecay { get; init; } = 0.01;
    [Range(0.0, 1e6)] public double MaxGradNorm { get; init; } = 1.0;
    [AllowedValues("dev-loss", "dev-mcc", "dev-auroc")] public string SelectBy { get; init; } = "dev-loss";
    [Range(0, 1000)] public int Patience { get; init; }
    public int Seed { get; init; } = 42;
    public PrecisionMode Precision { get; init; } = PrecisionMode.Fp32;
    /// <summary>Null: full fine-tuning. Otherwise LoRA adapters with these settings.</summary>
    public LoraOptions? Lora { get; init; }

    public int AccumulationSteps => GlobalBatch / MicroBatch;

    public IEnumerable<string> Validate()
    {
        if (GlobalBatch % MicroBatch != 0)
            yield return $"key 'global_batch' ({GlobalBatch}) must be a multiple of 'micro_batch' ({MicroBatch})";
        if (Precision == PrecisionMode.Fp16)
            yield return "key 'precision': fp16 fine-tuning is not offered; use bf16 (no loss scaling needed) or fp32";
    }
}
