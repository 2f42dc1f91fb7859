namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>One dev evaluation during fine-tuning.</summary>
public sealed record DevPoint(long Step, double Loss, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// What a fine-tuning run did: steps taken, the evaluation chosen (best by the configured criterion), whether it
/// stopped early, and the dev curve. The model object holds the chosen weights when <see cref="FineTuner.Run"/> returns.
/// </summary>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="BestStep">The step whose weights were kept (the best dev evaluation).</param>
/// <param name="Best">That evaluation; null when there was no dev set.</param>
/// <param name="StoppedEarly">True when <see cref="FineTuneConfig.Patience"/> ended the run before its last step.</param>
/// <param name="Dev">Every dev evaluation, in step order.</param>
/// <param name="Seconds">Wall time of the training loop, evaluations included.</param>
/// <param name="TrainableParameters">Parameters the optimizer updated (all of them, or the LoRA adapters and heads).</param>
public sealed record FineTuneResult(long Steps, long BestStep, DevPoint? Best, bool StoppedEarly, IReadOnlyList<DevPoint> Dev, double Seconds, int TrainableParameters);
