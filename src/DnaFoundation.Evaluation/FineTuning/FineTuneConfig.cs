using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
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
    /// <summary>Dropout on the adapter input while training (PEFT's lora_dropout; DNABERT-2 uses 0.05).</summary>
    [Range(0.0, 0.99)] public double Dropout { get; init; }
    public string[] TargetModules { get; init; } = ["query", "value"];
}

/// <summary>
/// One fine-tuning run. Batches are global (examples per optimizer step) whatever the micro-batch: the gradient
/// of a step is the mean over its global batch however it was split, so results do not depend on device count or
/// accumulation. Evaluation on dev every <see cref="EvalSteps"/> and at the end; the best evaluation (by dev loss,
/// or dev MCC / mean AUROC) is the model kept. <see cref="Patience"/> &gt; 0 stops after that many evaluations
/// without improvement. Every default of a fine-tuning run lives here; <see cref="Gue.GueSettings"/> is this record
/// plus GUE's quick-run subsampling, so the GUE harness and <c>finetune</c> cannot drift apart.
/// </summary>
public record FineTuneConfig : IValidatableConfig
{
    /// <summary>Key <c>task</c>: single-label classification (GUE), multi-label (chromatin features) or a per-token region head.</summary>
    public FineTuneTask Task { get; init; } = FineTuneTask.SingleLabel;
    /// <summary>Key <c>learning_rate</c>: the peak of the schedule (linear warm-up, then linear decay to 0); DNABERT-2 used 3e-5.</summary>
    [Range(1e-8, 1.0)] public double LearningRate { get; init; } = 3e-5;
    /// <summary>Key <c>global_batch</c>: examples per optimizer step over all ranks, whatever the micro-batch.</summary>
    [Range(1, 65536)] public int GlobalBatch { get; init; } = 32;
    /// <summary>Key <c>micro_batch</c>: examples per forward pass; the global batch is accumulated from micro-batches.</summary>
    [Range(1, 65536)] public int MicroBatch { get; init; } = 32;
    /// <summary>Key <c>eval_batch</c>: examples per forward pass when evaluating on dev and test.</summary>
    [Range(1, 65536)] public int EvalBatch { get; init; } = 64;
    /// <summary>Key <c>max_length</c>: tokens per example, special tokens included; longer inputs are cut and counted.</summary>
    [Range(3, 1 << 20)] public int MaxLength { get; init; } = 128;
    /// <summary>Key <c>epochs</c>: passes over the training set (fractions allowed) when <see cref="MaxSteps"/> is 0.</summary>
    [Range(0.0, 1000.0)] public double Epochs { get; init; } = 3;
    /// <summary>Key <c>max_steps</c>: stop after this many optimizer steps; 0 = by <see cref="Epochs"/>.</summary>
    [Range(0, int.MaxValue)] public int MaxSteps { get; init; }
    /// <summary>Key <c>warmup_steps</c>: steps of linear warm-up from 0 to the peak learning rate.</summary>
    [Range(0, int.MaxValue)] public int WarmupSteps { get; init; } = 50;
    /// <summary>Key <c>eval_steps</c>: steps between dev evaluations (one more runs at the end).</summary>
    [Range(1, int.MaxValue)] public int EvalSteps { get; init; } = 200;
    /// <summary>Steps between reads of the training loss (metrics.jsonl still gets one line per step, written then).</summary>
    [Range(1, int.MaxValue)] public int LogSteps { get; init; } = 10;
    /// <summary>Key <c>weight_decay</c>: AdamW's decoupled weight decay (not applied to biases and norms).</summary>
    [Range(0.0, 10.0)] public double WeightDecay { get; init; } = 0.01;
    /// <summary>Key <c>max_grad_norm</c>: gradients are clipped to this global L2 norm; 0 = no clipping.</summary>
    [Range(0.0, 1e6)] public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Key <c>select_by</c>: which dev evaluation is kept: lowest dev loss, highest MCC or highest (mean) AUROC.</summary>
    [AllowedValues("dev-loss", "dev-mcc", "dev-auroc")] public string SelectBy { get; init; } = "dev-loss";
    /// <summary>Key <c>patience</c>: stop after this many evaluations without improvement; 0 = never stop early.</summary>
    [Range(0, 1000)] public int Patience { get; init; }
    /// <summary>Key <c>seed</c>: new heads' initialisation, shuffling and dropout; the same seed gives the same run.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Key <c>precision</c>: fp32, bf16 (float32 master weights) or auto (bf16 where the device computes it natively).</summary>
    public PrecisionMode Precision { get; init; } = PrecisionMode.Fp32;
    /// <summary>Null: full fine-tuning. Otherwise LoRA adapters with these settings.</summary>
    public LoraOptions? Lora { get; init; }

    /// <summary>Micro-batches accumulated per optimizer step on one rank: <see cref="GlobalBatch"/> / <see cref="MicroBatch"/>.</summary>
    [JsonIgnore] public int AccumulationSteps => GlobalBatch / MicroBatch;

    public IEnumerable<string> Validate()
    {
        if (GlobalBatch % MicroBatch != 0)
            yield return $"key 'global_batch' ({GlobalBatch}) must be a multiple of 'micro_batch' ({MicroBatch})";
        if (Precision == PrecisionMode.Fp16)
            yield return "key 'precision': fp16 fine-tuning is not offered; use bf16 (no loss scaling needed) or fp32";
    }
}
