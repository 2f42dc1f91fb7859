using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Variants;

namespace DnaFoundation.Evaluation.Inference.Serving;

/// <summary>
/// How <see cref="InferenceService"/> batches and what it accepts; every default is defined here once. Requests
/// from concurrent clients wait in a bounded queue; the worker takes the first waiting request, keeps taking more
/// until <see cref="PredictOptions.Inference"/>'s batch size is reached or <see cref="MaxWaitMs"/> has passed, and
/// runs them together.
/// </summary>
public sealed record ServeOptions : IValidatableConfig
{
    /// <summary>Batching, RC averaging and threshold of /predict (key <c>predict</c>).</summary>
    public PredictOptions Predict { get; init; } = new();

    /// <summary>How long the first waiting request waits for others to join its batch, in ms (key <c>max_wait_ms</c>).</summary>
    [Range(0, 60_000)] public int MaxWaitMs { get; init; } = 5;

    /// <summary>Requests that may wait; a request beyond them is refused as busy (key <c>queue_capacity</c>).</summary>
    [Range(1, 1 << 20)] public int QueueCapacity { get; init; } = 1024;

    /// <summary>The largest request body in bytes (key <c>max_request_bytes</c>).</summary>
    [Range(1, int.MaxValue)] public int MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>Sequences (or variants) in one request (key <c>max_sequences_per_request</c>).</summary>
    [Range(1, 1 << 20)] public int MaxSequencesPerRequest { get; init; } = 1024;

    /// <summary>Bases in one sequence (key <c>max_sequence_bases</c>).</summary>
    [Range(1, int.MaxValue)] public int MaxSequenceBases { get; init; } = 100_000;

    /// <summary>Window around a variant for /score-variants (key <c>variant_window</c>).</summary>
    [Range(1, 1 << 20)] public int VariantWindow { get; init; } = Variants.VariantWindow.DefaultWidth;

    /// <summary>The classifier class whose probability change /score-variants reports (key <c>class_index</c>).</summary>
    [Range(0, 100_000)] public int ClassIndex { get; init; } = 1;

    /// <inheritdoc />
    public IEnumerable<string> Validate() => Predict.Validate();
}
