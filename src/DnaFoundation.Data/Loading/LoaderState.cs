using System.Text.Json;

namespace DnaFoundation.Data.Loading;

/// <summary>
/// Where a loader is, saved in a checkpoint (trainer_state.json) and given back to resume exactly: the epoch, the
/// shuffle window within this rank's share of it, rows and tokens already consumed there, and the batch count.
/// All randomness is derived from (seed, epoch, rank, window, row), so no generator state needs saving.
/// One state per rank; a resumed loader must use the same seed, rank and world size (checked).
/// </summary>
public sealed record LoaderState(int Epoch, long Window, int Row, int TokenOffset, long Batches, ulong Seed, int Rank, int WorldSize)
{
    public static LoaderState Start(ulong seed, int rank, int worldSize) => new(0, 0, 0, 0, 0, seed, rank, worldSize);

    public string ToJson() => JsonSerializer.Serialize(this);

    public static LoaderState FromJson(string json) =>
        JsonSerializer.Deserialize<LoaderState>(json) ?? throw new JsonException("empty loader state");
}
