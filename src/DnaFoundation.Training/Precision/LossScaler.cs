using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Training.Precision;

/// <summary>Dynamic loss-scaling settings (PyTorch GradScaler's defaults).</summary>
public sealed record LossScalerConfig
{
    [Range(1.0, 1e38)] public double InitialScale { get; init; } = 65536.0;
    [Range(1.0, 1e6)] public double GrowthFactor { get; init; } = 2.0;
    [Range(1e-6, 1.0)] public double BackoffFactor { get; init; } = 0.5;
    /// <summary>Consecutive finite steps before the scale grows.</summary>
    [Range(1, int.MaxValue)] public int GrowthInterval { get; init; } = 2000;
}

/// <summary>What a checkpoint keeps of the scaler.</summary>
public sealed record LossScalerState(double Scale, int GoodSteps, long SkippedSteps);

/// <summary>
/// fp16 dynamic loss scaling, written by hand because TorchSharp has no GradScaler: the loss is multiplied by
/// <see cref="Scale"/> before backward; when the (unscaled) gradients hold an inf or NaN the optimizer step is
/// skipped and the scale backs off, and after <c>growth_interval</c> good steps in a row it grows.
/// </summary>
public sealed class LossScaler
{
    private readonly LossScalerConfig config;

    public LossScaler(LossScalerConfig config)
    {
        this.config = config;
        Scale = config.InitialScale;
    }

    public double Scale { get; private set; }

    public int GoodSteps { get; private set; }

    public long SkippedSteps { get; private set; }

    /// <summary>Records one step's outcome and adjusts the scale; returns true when the optimizer step may be taken.</summary>
    public bool Update(bool gradientsFinite)
    {
        if (!gradientsFinite)
        {
            Scale = Math.Max(Scale * config.BackoffFactor, 1e-30);
            GoodSteps = 0;
            SkippedSteps++;
            return false;
        }
        if (++GoodSteps >= config.GrowthInterval)
        {
            Scale = Math.Min(Scale * config.GrowthFactor, 3.0e38);
            GoodSteps = 0;
        }
        return true;
    }

    public LossScalerState GetState() => new(Scale, GoodSteps, SkippedSteps);

    public void SetState(LossScalerState state)
    {
        Scale = state.Scale;
        GoodSteps = state.GoodSteps;
        SkippedSteps = state.SkippedSteps;
    }
}
