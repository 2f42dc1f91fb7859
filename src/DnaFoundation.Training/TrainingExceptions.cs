using DnaFoundation.Core;

namespace DnaFoundation.Training;

/// <summary>
/// The run cannot go on because of a setting the user chose (a loss that became NaN/inf, a micro-batch that does
/// not fit in memory): the CLI prints the message as one line. The last good checkpoint is left as it was.
/// </summary>
public sealed class TrainingStoppedException(string message) : DnaInputException(message);

/// <summary>Hooks for tests: called with the optimizer step about to be taken.</summary>
internal sealed record TrainerHooks
{
    /// <summary>After the micro-batches' backward passes, before the gradients are reduced (e.g. to inject an overflow).</summary>
    public Action<long, Optimization.GradientBucket>? AfterBackward { get; init; }

    /// <summary>After the optimizer step (or its skip).</summary>
    public Action<long, Trainer>? AfterStep { get; init; }

    /// <summary>Reseed the device generator every step as on CUDA, on any device (tests the CUDA scheme on the CPU).</summary>
    public bool ReseedPerStep { get; init; }

    /// <summary>A checkpoint's temporary folder once its files are written, before it is sealed (e.g. to inject an I/O fault).</summary>
    public Action<string>? BeforeCheckpointSeal { get; init; }
}
