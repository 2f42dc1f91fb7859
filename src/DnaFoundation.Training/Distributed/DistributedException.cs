namespace DnaFoundation.Training.Distributed;

/// <summary>
/// A data-parallel run cannot go on: ranks disagree (weights diverged), a collective timed out, or the
/// communication library reported an error. Configuration and environment problems are <see cref="Core.DnaInputException"/>s instead.
/// </summary>
public sealed class DistributedException(string message, Exception? inner = null) : Exception(message, inner);
