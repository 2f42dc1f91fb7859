namespace DnaFoundation.Core;

/// <summary>
/// One progress report from a long operation. Libraries report through <see cref="IProgress{T}"/> and never write
/// to the console; the CLI renders a bar (interactive terminal) or periodic log lines (redirected output or CI).
/// </summary>
/// <param name="Task">What is running, e.g. "shard" or "pretrain".</param>
/// <param name="Done">Units done so far.</param>
/// <param name="Total">Units in all, or null when unknown.</param>
/// <param name="Unit">What a unit is: "bp", "steps", "rows".</param>
/// <param name="Detail">A short extra, e.g. "loss 2.31".</param>
public sealed record ProgressInfo(string Task, long Done, long? Total, string Unit, string? Detail = null);
