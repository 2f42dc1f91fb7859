using System.ComponentModel.DataAnnotations;
using TorchSharp.Modules;

namespace DnaFoundation.Training.Optimization;

/// <summary>
/// After warm-up: stay at the peak (<c>constant</c>), decay linearly or along a half cosine to the floor, or decay as
/// the inverse square root of the step (<c>inverse-sqrt</c>: "Attention is all you need", LOGO; Nucleotide Transformer's
/// "square root decay"), never below the floor.
/// </summary>
public enum ScheduleKind
{
    Constant,
    Linear,
    Cosine,
    InverseSqrt,
}

/// <summary>The learning-rate schedule of a run (peak lr lives in the optimizer settings).</summary>
public sealed record ScheduleConfig
{
    public ScheduleKind Kind { get; init; } = ScheduleKind.Linear;

    /// <summary>Optimizer steps of linear warm-up from 0 to the peak.</summary>
    [Range(0, long.MaxValue)] public long WarmupSteps { get; init; }

    /// <summary>Warm-up as a fraction of the total steps (MosaicBERT: 0.06); used when larger than <see cref="WarmupSteps"/>.</summary>
    [Range(0.0, 1.0)] public double WarmupRatio { get; init; }

    /// <summary>The floor as a fraction of the peak (MosaicBERT: 0.02; DNABERT-2: 0).</summary>
    [Range(0.0, 1.0)] public double MinLrRatio { get; init; }

    /// <summary>Where warm-up starts, as a fraction of the peak (0: from zero; Nucleotide Transformer: 5e-5 → 1e-4 is 0.5).</summary>
    [Range(0.0, 1.0)] public double WarmupStartRatio { get; init; }
}

/// <summary>
/// The learning rate as a pure function of the optimizer step, so a resumed run needs only the step number to be on
/// the same curve (TorchSharp's schedulers keep no state to save). Step s (0-based) trains with
/// <c>peak × Factor(s)</c>: warm-up gives (s+1)/W (from <c>warmup_start_ratio</c> when set), so the first step is not
/// wasted at lr 0.
/// </summary>
public sealed class LrSchedule
{
    private readonly ScheduleKind kind;
    private readonly double minRatio, startRatio;

    public LrSchedule(double peakLr, ScheduleConfig config, long totalSteps)
    {
        PeakLr = peakLr;
        kind = config.Kind;
        minRatio = config.MinLrRatio;
        startRatio = config.WarmupStartRatio;
        TotalSteps = Math.Max(1, totalSteps);
        WarmupSteps = Math.Min(TotalSteps, Math.Max(config.WarmupSteps, (long)Math.Round(config.WarmupRatio * TotalSteps)));
    }

    public double PeakLr { get; }

    public long WarmupSteps { get; }

    public long TotalSteps { get; }

    public double Factor(long step)
    {
        if (step < WarmupSteps)
        {
            double ramp = (double)(step + 1) / WarmupSteps;
            return startRatio == 0 ? ramp : startRatio + (1.0 - startRatio) * ramp;
        }
        if (kind == ScheduleKind.Constant) return 1.0;
        // Continuous at the end of warm-up: the last warm-up step (W − 1) trains at the peak, step s ≥ W at sqrt(W / (s + 1)).
        if (kind == ScheduleKind.InverseSqrt) return Math.Max(minRatio, Math.Sqrt((double)Math.Max(1, WarmupSteps) / (step + 1)));
        long decaySteps = TotalSteps - WarmupSteps;
        double progress = decaySteps <= 0 ? 1.0 : Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0.0, 1.0);
        double shape = kind == ScheduleKind.Linear ? 1.0 - progress : 0.5 * (1.0 + Math.Cos(Math.PI * progress));
        return minRatio + (1.0 - minRatio) * shape;
    }

    public double LearningRate(long step) => PeakLr * Factor(step);

    /// <summary>Sets every parameter group's lr for optimizer step <paramref name="step"/>; returns it.</summary>
    public double Apply(OptimizerHelper optimizer, long step)
    {
        double lr = LearningRate(step);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        return lr;
    }
}
