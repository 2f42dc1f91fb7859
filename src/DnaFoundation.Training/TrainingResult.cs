namespace DnaFoundation.Training;

/// <summary>How a run ended: <c>completed</c>, or <c>interrupted</c> (Ctrl-C; a checkpoint was saved).</summary>
public sealed record TrainingResult(string Status, long Step, long TokensSeen, EvalResult? LastEval, string? FinalModelDirectory, string? LastCheckpoint);
