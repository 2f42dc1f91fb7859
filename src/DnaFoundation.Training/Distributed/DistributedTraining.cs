using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Data;
using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// The trainer's hook points for data parallelism that are not gradients (those go through its gradient bucket):
/// agreeing to stop, checking the replicas, and resuming a checkpoint on another number of ranks. Each is one
/// call in <see cref="Trainer"/>, so the training loop stays readable.
/// </summary>
public static class DistributedTraining
{
    /// <summary>
    /// True on every rank when any rank was asked to stop (Ctrl-C reaches the ranks at different steps): all ranks
    /// then take the same branch and write the same checkpoint. Collective: every rank calls it once per step.
    /// </summary>
    public static bool StopRequested(ICommunicator communicator, CancellationToken cancel)
    {
        double mine = cancel.IsCancellationRequested ? 1 : 0;
        return communicator.WorldSize == 1 ? mine > 0 : communicator.AllReduceSum(mine) > 0;
    }

    /// <summary>Every <c>checksum_every</c> steps: stops every rank if the float32 weights differ between ranks.</summary>
    public static void CheckReplicas(ICommunicator communicator, DistributedConfig config, long step, IEnumerable<(string Name, torch.Tensor Tensor)> weights)
    {
        if (communicator.WorldSize > 1 && config.ChecksumEvery > 0 && step % config.ChecksumEvery == 0)
            WeightSync.VerifyIdentical(communicator, weights, step);
    }

    /// <summary>
    /// The loader state of this rank when a checkpoint written by <c>state.WorldSize</c> ranks resumes on
    /// this world's ranks (the trainer has checked that the global batch still divides). Reads every old
    /// rank's state from <paramref name="checkpoint"/> and lets the data stream re-partition itself.
    /// </summary>
    public static JsonNode LoaderStateForWorld(string checkpoint, TrainerState state, IBatchSource source)
    {
        if (source is not IWorldResizable resizable)
            throw new DnaInputException($"the checkpoint was written by {state.WorldSize} rank(s) and this data stream cannot change the number of ranks; resume with {state.WorldSize}", checkpoint);
        var old = new List<JsonNode>();
        for (int r = 0; r < state.WorldSize; r++)
        {
            old.Add(ReadRankState(checkpoint, state, r).Loader ?? throw new DnaInputException($"rank {r}'s state in the checkpoint has no loader position", checkpoint));
        }
        return resizable.StateForWorld(old);
    }

    /// <summary>
    /// The per-rank random streams (dropout) cannot be carried over to another number of ranks: restart them from
    /// the run's seed, the step and the rank, so the resumed run is still deterministic.
    /// </summary>
    public static long ResumedSeed(long seed, long step, int rank) => (seed * 1_000_003L + step) * 7919L + rank;

    /// <summary>One rank's part of a checkpoint: rank 0's is in trainer_state.json, the others in rank-N.json.</summary>
    public static RankState ReadRankState(string checkpoint, TrainerState state, int rank) =>
        rank == 0 ? state.RankState : ReadRankState(checkpoint, rank);

    private static RankState ReadRankState(string checkpoint, int rank)
    {
        var path = Path.Combine(checkpoint, $"rank-{rank}.json");
        if (!File.Exists(path)) throw new DnaInputException($"the checkpoint lacks {Path.GetFileName(path)}", checkpoint);
        return JsonSerializer.Deserialize<RankState>(File.ReadAllText(path), TrainerState.Json)!;
    }
}
