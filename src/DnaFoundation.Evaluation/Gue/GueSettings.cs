using System.ComponentModel.DataAnnotations;
using DnaFoundation.Evaluation.FineTuning;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>
/// How a GUE task is fine-tuned: a <see cref="FineTuneConfig"/> (its defaults, its validation) pinned per task from
/// DNABERT-2's scripts, options overriding fields, plus the harness's quick-run subsampling.
/// </summary>
public sealed record GueSettings : FineTuneConfig
{
    /// <summary>Quick runs only (0 = all): train on this many rows, drawn by the seed. Recorded as an override.</summary>
    [Range(0, int.MaxValue)] public int MaxTrainExamples { get; init; }

    /// <summary>Quick runs only (0 = all): select the best model on this many dev rows. The test set is always whole.</summary>
    [Range(0, int.MaxValue)] public int MaxDevExamples { get; init; }
}
