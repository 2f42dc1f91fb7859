namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>One dev evaluation during fine-tuning.</summary>
public sealed record DevPoint(long Step, double Loss, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// What a fine-tuning run did: steps taken, the evaluation chosen (best by the configured criterion), whether it
/// stopped early, and the dev curve. The model object holds the chosen weights when <see cref="FineTuner.Run"/> returns.
/// </summary>
public sealed record FineTuneResult(long Steps, long BestStep, DevPoint? Best, bool StoppedEarly, IReadOnlyList<DevPoint> Dev, double Seconds, int TrainableParameters);
