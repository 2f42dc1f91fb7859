using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Training.Optimization;

/// <summary>AdamW and clipping. Defaults follow DNABERT-2 / MosaicBERT: lr 5e-4, betas (0.9, 0.98), eps 1e-6, wd 1e-5.</summary>
public sealed record OptimizerConfig
{
    [Range(0.0, 10.0)] public double Lr { get; init; } = 5e-4;
    [Range(0.0, 0.999999)] public double Beta1 { get; init; } = 0.9;
    [Range(0.0, 0.999999)] public double Beta2 { get; init; } = 0.98;
    [Range(0.0, 1.0)] public double Eps { get; init; } = 1e-6;
    [Range(0.0, 10.0)] public double WeightDecay { get; init; } = 1e-5;

    /// <summary>Clip the global gradient L2 norm to this; 0 = no clipping (the norm is still logged).</summary>
    [Range(0.0, 1e9)] public double MaxGradNorm { get; init; } = 1.0;

    public ScheduleConfig Schedule { get; init; } = new();
}
