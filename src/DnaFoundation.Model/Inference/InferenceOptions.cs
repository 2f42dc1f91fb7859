using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;

namespace DnaFoundation.Model.Inference;

/// <summary>
/// How <see cref="InferenceRunner"/> forms batches. Inputs are read <see cref="SortWindow"/> at a time, ordered by
/// token length inside that window (so a batch pads little), cut into batches of at most <see cref="BatchSize"/>
/// rows and, when <see cref="MaxBatchTokens"/> &gt; 0, at most that many padded tokens (rows × longest row; a single
/// row longer than the budget still runs, alone), and returned in input order. Memory is bounded by the window,
/// whatever the number of inputs.
/// </summary>
public sealed record InferenceOptions : IValidatableConfig
{
    /// <summary>The defaults every inference path uses unless told otherwise.</summary>
    public static InferenceOptions Default { get; } = new();

    /// <summary>Rows per forward pass (key <c>batch_size</c>).</summary>
    [Range(1, 1 << 20)] public int BatchSize { get; init; } = 64;

    /// <summary>Padded tokens per forward pass (rows × longest row); 0 = no token budget (key <c>max_batch_tokens</c>).</summary>
    [Range(0, int.MaxValue)] public int MaxBatchTokens { get; init; }

    /// <summary>Inputs read ahead and ordered by length before batching (key <c>sort_window</c>); 1 keeps input order.</summary>
    [Range(1, 1 << 24)] public int SortWindow { get; init; } = 4096;

    /// <inheritdoc />
    public IEnumerable<string> Validate()
    {
        if (SortWindow < BatchSize && SortWindow != 1)
            yield return $"key 'sort_window' ({SortWindow}) must be at least 'batch_size' ({BatchSize}) (or 1 to keep input order)";
    }
}
