namespace DnaFoundation.Training;

/// <summary>How a pretraining run ended.</summary>
public enum TrainingStatus
{
    /// <summary>It reached max_steps (or max_tokens); the final model was written.</summary>
    Completed,
    /// <summary>It was asked to stop (Ctrl-C, SIGTERM, a cancelled token); a checkpoint was saved to resume from.</summary>
    Interrupted,
}

/// <summary>What a run did: how it ended, where it stopped, the last validation, and where its outputs are.</summary>
/// <param name="Status">Completed, or interrupted with a checkpoint to resume from.</param>
/// <param name="Step">The last optimizer step taken.</param>
/// <param name="TokensSeen">Non-padding tokens trained on, over all ranks.</param>
/// <param name="LastEval">The last validation (loss, perplexity, accuracy); null when none ran.</param>
/// <param name="FinalModelDirectory">The final model directory (config, weights, tokenizer) when the run completed; null otherwise.</param>
/// <param name="LastCheckpoint">The newest checkpoint directory, if one was written.</param>
public sealed record TrainingResult(TrainingStatus Status, long Step, long TokensSeen, EvalResult? LastEval, string? FinalModelDirectory, string? LastCheckpoint);
