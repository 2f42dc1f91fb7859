using System.Text.Json.Serialization;
using DnaFoundation.Evaluation.Baselines;
using DnaFoundation.Evaluation.Metrics;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// What <see cref="FineTuneJob.Run"/> did, as a typed record: the model and data it used, how the training went,
/// where it wrote, and the test scores. Serialized (snake_case keys, in this order) it is the run's
/// <c>results.json</c>; the test fields are absent when there was no test split (or for the token task).
/// </summary>
public sealed record FineTuneJobResult
{
    /// <summary>The model as requested: a preset name or a model directory.</summary>
    public required string Model { get; init; }

    /// <summary>How the weights came to be: pretrained from a directory (tensors loaded), or a seeded random init.</summary>
    public required string Origin { get; init; }

    /// <summary>Parameters the checkpoint lacked, initialised from the seed (the new task head).</summary>
    public required IReadOnlyList<string> InitializedHeads { get; init; }

    /// <summary>The tokenizer's spec (<c>kmer:6</c>, <c>char</c>, <c>bpe</c>…).</summary>
    public required string Tokenizer { get; init; }

    /// <summary>The fine-tuning settings the run used.</summary>
    public required FineTuneConfig Config { get; init; }

    /// <summary>Where the labelled data came from.</summary>
    public required FineTuneInputs Inputs { get; init; }

    /// <summary>The head's outputs: class names (single-label: <c>0</c>..<c>K-1</c>) or label columns (multi-label).</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public required long Steps { get; init; }

    /// <summary>The step of the dev evaluation whose weights were kept.</summary>
    public required long BestStep { get; init; }

    /// <summary>True when patience ran out before max_steps / epochs.</summary>
    public required bool StoppedEarly { get; init; }

    /// <summary>Wall-clock seconds of the training loop.</summary>
    public required double Seconds { get; init; }

    /// <summary>Parameters the optimizer updated (all, or the adapters and head under LoRA).</summary>
    public required int TrainableParameters { get; init; }

    /// <summary>The saved model directory (weights, tokenizer, task.json): <c>OUTPUT/final</c>.</summary>
    public required string FinalModel { get; init; }

    /// <summary>The kept dev evaluation (null when none ran).</summary>
    public required DevPoint? BestDev { get; init; }

    /// <summary>Chromatin BED intervals left out because their end is before their start, each as its error line (<c>FILE:LINE: …</c>).</summary>
    public required IReadOnlyList<string> DroppedInputRows { get; init; }

    /// <summary>The precision the run computed in (<c>auto</c> resolved).</summary>
    public required string Precision { get; init; }

    /// <summary>The BLAS library and its settings (float32 products round by it).</summary>
    public required string Blas { get; init; }

    /// <summary>Mean loss on the test split.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TestLoss { get; init; }

    /// <summary>Test metrics by name (MCC, F1, AUROC… as in dev evaluations).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? Test { get; init; }

    /// <summary>The test split's predictions, in <c>dnafm predict</c>'s table layout.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TestPredictions { get; init; }

    /// <summary>Multi-label: AUROC and AUPRC per label on the test split.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<LabelScore>? TestPerLabel { get; init; }

    /// <summary>Multi-label: the median test AUROC of each label group (TF, DNase, histone…).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? TestMedianAurocByGroup { get; init; }

    /// <summary>Multi-label with the k-mer baseline asked for: the same scores from k-mer logistic regression.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public KmerBaselineResult? KmerBaseline { get; init; }
}

/// <summary>The k-mer logistic-regression baseline of a multi-label run, scored on the same test split.</summary>
/// <param name="Options">Its settings (k, L2, iterations, learning rate, seed).</param>
/// <param name="BestIteration">The iteration kept (best dev loss).</param>
/// <param name="TestPerLabel">AUROC and AUPRC per label on the test split.</param>
/// <param name="TestMedianAurocByGroup">The median test AUROC of each label group.</param>
public sealed record KmerBaselineResult(KmerLogisticOptions Options, int BestIteration, IReadOnlyList<LabelScore> TestPerLabel,
    IReadOnlyDictionary<string, double> TestMedianAurocByGroup);
