using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Data;

/// <summary>
/// One micro-batch on the CPU. <see cref="InputIds"/> (B, T) int64 with padding; <see cref="AttentionMask"/> (B, T)
/// int64, 1 for real tokens; <see cref="SoftMasked"/> (B, T) bool, the token covers a lowercase base;
/// <see cref="RegionLabels"/> (B, T) int64 per-token region class (−100 on special/padding tokens);
/// <see cref="ChromatinLabels"/> (B, F) float32 in {0, 1}. <see cref="Tokens"/> counts the non-padding tokens;
/// <see cref="TruncatedRows"/> the rows cut at max_length (tokens lost).
/// </summary>
public sealed record TrainingBatch(Tensor InputIds, Tensor AttentionMask, Tensor? SoftMasked, Tensor? RegionLabels, Tensor? ChromatinLabels, long Tokens, int TruncatedRows = 0) : IDisposable
{
    /// <summary>Padding positions: the (B, T) slots not holding a token.</summary>
    public long PaddingTokens => InputIds.shape[0] * InputIds.shape[1] - Tokens;

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        SoftMasked?.Dispose();
        RegionLabels?.Dispose();
        ChromatinLabels?.Dispose();
    }
}

/// <summary>
/// An endless, deterministic stream of micro-batches whose position can be saved and restored exactly, so a resumed
/// run sees the batches an uninterrupted run would have seen.
/// </summary>
public interface IBatchSource : IDisposable
{
    TrainingBatch Next();

    JsonNode SaveState();

    void RestoreState(JsonNode state);
}
