using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Training.Precision;

namespace DnaFoundation.Training.Checkpoints;

/// <summary>What one rank needs to continue exactly: its data position and random streams.</summary>
public sealed record RankState
{
    public int Rank { get; init; }

    /// <summary>The data loader's own JSON state (shard, row, epoch, shuffle RNG…), replayed on resume.</summary>
    public JsonNode? Loader { get; init; }

    /// <summary>torch's default CPU generator (dropout), base64.</summary>
    public string TorchCpuRng { get; init; } = "";

    /// <summary>The masker's generator, base64.</summary>
    public string MaskerRng { get; init; } = "";

    /// <summary>
    /// How the compute device's generator continues ("" when it is the CPU's, saved above; on CUDA it is reseeded
    /// per step from seed, rank and step, since TorchSharp cannot read its state).
    /// </summary>
    public string DeviceRng { get; init; } = "";
}

/// <summary>
/// <c>trainer_state.json</c>: counters, schedule position, loss scaler, validation history and rank 0's
/// <see cref="RankState"/> (other ranks write <c>rank-N.json</c> beside it). Together with <c>model.safetensors</c>
/// and <c>optimizer.bin</c> it is everything a resumed run needs to end bit-identical to an uninterrupted one.
/// </summary>
public sealed record TrainerState
{
    public const string FileName = "trainer_state.json";
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>Optimizer steps taken (including fp16 steps skipped on overflow).</summary>
    public long Step { get; init; }

    /// <summary>Non-padding tokens consumed, over all ranks.</summary>
    public long TokensSeen { get; init; }

    public long SamplesSeen { get; init; }

    public long Seed { get; init; }

    public int WorldSize { get; init; } = 1;

    public string Precision { get; init; } = "fp32";

    /// <summary>
    /// The library that served libtorch's float32 matrix products (<see cref="Model.Runtime.BlasSelection.Signature"/>,
    /// e.g. "openblas 0.3.21 Cooperlake"): a resume is bit-exact only with the same one. Null in older checkpoints.
    /// </summary>
    public string? Blas { get; init; }

    public double LearningRate { get; init; }

    public ScheduleState Schedule { get; init; } = new();

    public LossScalerState? LossScaler { get; init; }

    /// <summary>Validation MLM loss at this checkpoint (null when no evaluation ran at this step).</summary>
    public double? ValidationLoss { get; init; }

    public double? BestValidationLoss { get; init; }

    public long? BestValidationStep { get; init; }

    public RankState RankState { get; init; } = new();

    public static readonly JsonSerializerOptions Json = new(Core.ConfigLoader.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    public void Write(string path) => Core.AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static TrainerState Read(string path)
    {
        try
        {
            // Parsed first by the one JSON reader that refuses a duplicated key by name and line (found by fuzzing:
            // a key given twice inside the loader state threw ArgumentException from the node deserializer).
            return (Core.ConfigLoader.ParseJson(File.ReadAllText(path), path) ?? throw new Core.DnaInputException("empty trainer state", path))
                .Deserialize<TrainerState>(Json) ?? throw new Core.DnaInputException("empty trainer state", path);
        }
        catch (JsonException e)
        {
            throw new Core.DnaInputException($"not a valid trainer state: {e.Message}", path, e.LineNumber + 1);
        }
    }
}

/// <summary>Where the learning-rate schedule stands; the schedule itself is rebuilt from the config and this step.</summary>
public sealed record ScheduleState
{
    public string Kind { get; init; } = "linear";
    public double PeakLr { get; init; }
    public long WarmupSteps { get; init; }
    public long TotalSteps { get; init; }
    public double MinLrRatio { get; init; }
}
