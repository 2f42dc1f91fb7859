using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>How a GUE task is fine-tuned. Pinned per task from DNABERT-2's scripts; options may override fields.</summary>
public sealed record GueSettings : IValidatableConfig
{
    [Range(1e-8, 1.0)] public double LearningRate { get; init; } = 3e-5;
    /// <summary>Examples per optimizer step, whatever the device count or accumulation (the paper's 32).</summary>
    [Range(1, 65536)] public int GlobalBatch { get; init; } = 32;
    /// <summary>Examples per forward pass; the global batch is reached by gradient accumulation.</summary>
    [Range(1, 65536)] public int MicroBatch { get; init; } = 32;
    [Range(1, 65536)] public int EvalBatch { get; init; } = 64;
    /// <summary>Tokens per sequence including [CLS]/[SEP] (the scripts' model_max_length).</summary>
    [Range(3, 1 << 20)] public int MaxLength { get; init; } = 128;
    [Range(0.0, 1000.0)] public double Epochs { get; init; } = 3;
    /// <summary>When above 0, stops after this many optimizer steps even if epochs remain (HF Trainer's max_steps).</summary>
    [Range(0, int.MaxValue)] public int MaxSteps { get; init; }
    [Range(0, int.MaxValue)] public int WarmupSteps { get; init; } = 50;
    [Range(1, int.MaxValue)] public int EvalSteps { get; init; } = 200;
    [Range(0.0, 10.0)] public double WeightDecay { get; init; } = 0.01;
    [Range(0.0, 1e6)] public double MaxGradNorm { get; init; } = 1.0;
    [AllowedValues("dev-loss", "dev-mcc")] public string SelectBy { get; init; } = "dev-loss";
    public int Seed { get; init; } = 42;

    /// <summary>Quick runs only (0 = all): train on this many rows, drawn by the seed. Recorded as an override.</summary>
    [Range(0, int.MaxValue)] public int MaxTrainExamples { get; init; }

    /// <summary>Quick runs only (0 = all): select the best model on this many dev rows. The test set is always whole.</summary>
    [Range(0, int.MaxValue)] public int MaxDevExamples { get; init; }

    [JsonIgnore] public int AccumulationSteps => GlobalBatch / MicroBatch;

    public IEnumerable<string> Validate()
    {
        if (GlobalBatch % MicroBatch != 0)
            yield return $"key 'global_batch' ({GlobalBatch}) must be a multiple of 'micro_batch' ({MicroBatch}), so that accumulation reaches it exactly";
    }
}
