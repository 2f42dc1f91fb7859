using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Masking;
using DnaFoundation.Training.Runs;
using Serilog;
using static TorchSharp.torch;

namespace DnaFoundation.Training;

/// <summary>Where a pretraining run writes and how it starts.</summary>
/// <param name="Resume"><c>auto</c> (latest checkpoint in <paramref name="OutputDirectory"/>, else fresh), a checkpoint or run directory, or null (fresh).</param>
/// <param name="ConfigDirectory">Folder of the config file: relative data paths are also looked up from it and its parents.</param>
public sealed record PretrainRequest(string OutputDirectory, string? Resume, string? ConfigDirectory, DeviceChoice Device, ICommunicator? Communicator = null);

/// <summary>
/// <c>dnafm pretrain</c>'s library entry point: builds the tokenizer, the model (vocabulary, pad and mask ids taken
/// from the tokenizer), the data streams (one genome, shards or a manifest), the masker and the unigram baseline from a <see cref="TrainerConfig"/>,
/// then runs the <see cref="Trainer"/> and records the run in <c>run.json</c>.
/// </summary>
public static class Pretraining
{
    public static TrainingResult Run(TrainerConfig cfg, PretrainRequest request, ILogger log, IProgress<ProgressInfo>? progress, CancellationToken cancel) =>
        Run(cfg, request, log, progress, cancel, hooks: null);

    internal static TrainingResult Run(TrainerConfig cfg, PretrainRequest request, ILogger log, IProgress<ProgressInfo>? progress, CancellationToken cancel, TrainerHooks? hooks)
    {
        var comm = request.Communicator ?? SingleProcessCommunicator.Instance;
        var resume = CheckpointStore.Resolve(request.Resume, request.OutputDirectory, cfg.KeepLast);
        var record = comm.IsRoot ? RunRecord.Start(request.OutputDirectory, "pretrain", cfg, cfg.Seed, request.Device.ToString()) : null;
        try
        {
            request.Device.ApplyToCurrentThread();
            using var parts = Build(cfg, request, resume, comm, log, progress);
            using var trainer = new Trainer(parts.Parts, hooks);
            var result = trainer.Run(cancel);
            record?.Set("results", System.Text.Json.JsonSerializer.SerializeToNode(result, ConfigLoader.Options));
            record?.Complete(result.Status == "completed" ? "succeeded" : result.Status);
            return result;
        }
        catch (Exception e)
        {
            record?.Complete("failed", e.Message);
            throw;
        }
    }

    /// <summary>
    /// The architecture a run trains: the preset (or start model's config) with the tokenizer's vocabulary, pad and mask
    /// ids, room for max_length positions, and for multitask runs the region and chromatin heads sized by the BED lists.
    /// </summary>
    internal static (EncoderConfig Config, ModelHeads Heads) ModelConfigFor(TrainerConfig cfg, DnaTokenizer tokenizer, EncoderConfig baseConfig)
    {
        var heads = cfg.IsMultitask ? ModelHeads.MultiTask : ModelHeads.MaskedLm;
        var modelConfig = baseConfig with
        {
            VocabSize = tokenizer.VocabSize,
            PadTokenId = tokenizer.PadId,
            MaskTokenId = tokenizer.MaskId,
            MaxPositionEmbeddings = Math.Max(baseConfig.MaxPositionEmbeddings, cfg.MaxLength),
            NumRegionLabels = cfg.Data.RegionBeds.Length > 0 ? cfg.Data.RegionBeds.Length + 1 : baseConfig.NumRegionLabels,
            NumChromatinLabels = cfg.Data.ChromatinBeds.Length > 0 ? cfg.Data.ChromatinBeds.Length : baseConfig.NumChromatinLabels,
            ProblemType = cfg.IsMultitask ? "multi_label_classification" : baseConfig.ProblemType,
        };
        modelConfig = modelConfig with { Architectures = [ModelFactory.ArchitectureFor(modelConfig, heads)] };
        ConfigLoader.Validate(modelConfig, cfg.Model, "model.");
        return (modelConfig, heads);
    }

    /// <summary>The parts of a run, owning what must be disposed.</summary>
    internal sealed class BuiltParts(TrainerParts parts, IDisposable[] owned) : IDisposable
    {
        public TrainerParts Parts => parts;

        public void Dispose()
        {
            foreach (var d in owned) d.Dispose();
        }
    }

    internal static BuiltParts Build(TrainerConfig cfg, PretrainRequest request, string? resume, ICommunicator comm, ILogger log, IProgress<ProgressInfo>? progress)
    {
        var tokenizer = DnaTokenizers.Load(ResolveTokenizer(cfg.Tokenizer, request.ConfigDirectory));
        var specials = Enumerable.Range(0, tokenizer.VocabSize).Where(tokenizer.IsSpecial).ToArray();

        // Model: the tokenizer decides the vocabulary; multitask adds region and chromatin heads.
        string? startWeights = Directory.Exists(cfg.Model) && File.Exists(Path.Combine(cfg.Model, ModelDirectory.ConfigFile)) ? cfg.Model : null;
        var baseConfig = startWeights is not null ? ModelDirectory.ReadConfig(startWeights, cfg.ModelOverrides) : ModelPresets.Load(cfg.Model, cfg.ModelOverrides);
        var (modelConfig, heads) = ModelConfigFor(cfg, tokenizer, baseConfig);

        random.manual_seed(cfg.Seed);
        var model = ModelFactory.Create(modelConfig, heads);
        if (startWeights is not null && resume is null)
        {
            var report = ModelDirectory.LoadWeights(model, ModelDirectory.WeightsPath(startWeights), HeadLoading.EncoderOnly);
            log.Information("continuing pretraining from {Dir}: {Loaded} tensors loaded", startWeights, report.Loaded);
        }

        // Data: one FASTA, shards or a manifest; validation is always held out (other regions, split or contigs).
        var streams = PretrainingData.Open(cfg, tokenizer, request.ConfigDirectory, comm, log);
        var masker = new MlmMasker(cfg.Masking, tokenizer.VocabSize, tokenizer.MaskId, specials, tokenizer.MaskSpan, cfg.Seed * 7919 + comm.Rank);
        UnigramBaseline? baseline = null;
        if (cfg.BaselineWindows > 0)
        {
            using var sample = streams.Sample(cfg.Seed + 104_729);
            baseline = UnigramBaseline.Estimate(sample, (cfg.BaselineWindows + cfg.MicroBatchSize - 1) / cfg.MicroBatchSize, tokenizer.VocabSize, specials);
        }
        var parts = new TrainerParts(cfg, model, tokenizer, streams.Train, streams.Validation,
            () => new MlmMasker(cfg.Masking, tokenizer.VocabSize, tokenizer.MaskId, specials, tokenizer.MaskSpan, 12_345 + comm.Rank),
            masker, baseline, request.Device.Device, request.OutputDirectory, resume, comm, log, progress);
        return new BuiltParts(parts, baseline is null ? [streams, masker, model] : [streams, masker, baseline, model]);
    }

    /// <summary>A relative path as given (from the working directory), else from the config's folder or one of its parents.</summary>
    public static string ResolvePath(string path, string? configDirectory, string key)
    {
        if (File.Exists(path) || Directory.Exists(path) || Path.IsPathRooted(path)) return path;
        for (var dir = configDirectory is null ? null : new DirectoryInfo(configDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        throw new DnaInputException($"key '{key}': '{path}' not found (relative paths are read from the working directory, then from the config's folder and its parents)");
    }

    private static string ResolveTokenizer(string spec, string? configDirectory) =>
        spec.Contains(':') || spec is "char" or "nt6" ? spec : ResolvePath(spec, configDirectory, "tokenizer");
}
