using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Distributed;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Checkpoints;

/// <summary>
/// Reads the per-rank parts of a checkpoint for a resume and turns every malformed piece (a loader position of the
/// wrong shape, an RNG state that is not base64 or not a generator's length) into an input error naming the file,
/// instead of a FormatException or a native error halfway through restoring.
/// </summary>
public static class CheckpointResume
{
    /// <summary>Rank <paramref name="rank"/>'s state, its random streams checked.</summary>
    public static RankState ReadRankState(string checkpoint, TrainerState state, int rank)
    {
        var file = rank == 0 ? Path.Combine(checkpoint, TrainerState.FileName) : Path.Combine(checkpoint, $"rank-{rank}.json");
        RankState rs;
        try
        {
            rs = DistributedTraining.ReadRankState(checkpoint, state, rank) ?? throw new DnaInputException("rank state is null", file);
        }
        catch (JsonException e)
        {
            throw new DnaInputException($"not a valid rank state: {e.Message}", file, (e.LineNumber ?? 0) + 1);
        }
        using var current = random.get_rng_state();
        foreach (var (key, text) in new[] { ("masker_rng", rs.MaskerRng), ("torch_cpu_rng", rs.TorchCpuRng) })
        {
            var bytes = Base64(text, key, file);
            if (bytes.Length != current.NumberOfElements)
                throw new DnaInputException($"{key} holds {bytes.Length} bytes; a CPU generator's state is {current.NumberOfElements}", file);
        }
        return rs;
    }

    /// <summary>Hands a saved loader position to <paramref name="source"/>; a position it cannot take names <paramref name="stateFile"/>.</summary>
    public static void RestoreLoader(IBatchSource source, JsonNode? loader, string stateFile)
    {
        if (loader is null) return;
        try
        {
            source.RestoreState(loader);
        }
        catch (DnaInputException e) when (e.File is null)
        {
            throw new DnaInputException(e.Message, stateFile, inner: e);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or OverflowException)
        {
            throw new DnaInputException($"the loader position is malformed: {e.Message.Split('\n')[0]}", stateFile, inner: e);
        }
    }

    private static byte[] Base64(string text, string key, string file)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new DnaInputException($"{key} is not base64", file);
        }
    }
}
