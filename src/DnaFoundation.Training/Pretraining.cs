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
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace DnaFoundation.Training;

/// <summary>Where a pretraining run writes and how it starts.</summary>
/// <param name="OutputDirectory">Where checkpoints, metrics, run.json and the final model go.</param>
/// <param name="Resume"><c>auto</c> (latest checkpoint in <paramref name="OutputDirectory"/>, else fresh), a checkpoint or run directory, or null (fresh).</param>
/// <param name="ConfigDirectory">Folder of the config file: relative data paths are also looked up from it and its parents.</param>
/// <param name="Device">Where to train, and the CPU threads torch may use.</param>
/// <param name="Communicator">The ranks of a data-parallel run (mpirun); null for one process.</param>
public sealed record PretrainRequest(string OutputDirectory, string? Resume, string? ConfigDirectory, DeviceChoice Device, ICommunicator? Communicator = null);

/// <summary>
/// A pretraining run built from objects instead of files: the model, its tokenizer and the data streams, ready.
/// </summary>
/// <param name="Model">
/// An encoder with a masked-LM head (<see cref="ModelHeads.MaskedLm"/>, or <see cref="ModelHeads.MultiTask"/> when the
/// batches carry region and chromatin labels) whose vocabulary holds every id of <paramref name="Tokenizer"/>, e.g.
/// <c>ModelFactory.Create(Pretraining.ModelConfigFor(ModelPresets.Load("tiny"), tokenizer, maxLength), ModelHeads.MaskedLm)</c>.
/// It is trained in place (moved to the run's device); a resumed run first loads the checkpoint's weights into it.
/// The caller owns it and the streams, and disposes them after the run.
/// </param>
/// <param name="Tokenizer">Gives masking its pad, mask and special ids; saved with every checkpoint and the final model.</param>
/// <param name="Train">The training stream; its position is checkpointed (<see cref="IBatchSource.SaveState"/>), so a resume continues it exactly.</param>
/// <param name="Validation">Opens a fresh validation stream for each evaluation: held-out data, read the same way every time, so successive numbers compare.</param>
public sealed record PretrainingInputs(DnaModel Model, DnaTokenizer Tokenizer, IBatchSource Train, Func<IBatchSource> Validation);

/// <summary>
/// Pretraining's library entry points. From files (<c>dnafm pretrain</c>): builds the tokenizer, the model (vocabulary,
/// pad and mask ids taken from the tokenizer), the data streams (one genome, shards or a manifest), the masker and the
/// unigram baseline from a <see cref="TrainerConfig"/>. From objects (<see cref="PretrainingInputs"/>): takes the model,
/// tokenizer and streams as given. Either way the same core then runs the <see cref="Trainer"/>, writes checkpoints and
/// the final model under the output directory, and records the run in <c>run.json</c>.
/// </summary>
public static class Pretraining
{
    /// <summary>Trains what <paramref name="cfg"/> describes: its model, tokenizer and data files.</summary>
    /// <param name="cfg">The whole run: model, tokenizer, data and optimisation settings.</param>
    /// <param name="request">Where to write, how to start (fresh or resumed), on which device.</param>
    /// <param name="log">Progress and warnings (the CLI's Serilog, or a user's logger).</param>
    /// <param name="progress">Step counts for a progress display; null for none.</param>
    /// <param name="cancel">Stops the run at the next step with a checkpoint to resume from (<see cref="TrainingStatus.Interrupted"/>).</param>
    /// <exception cref="DnaInputException">A config key, file or checkpoint that does not fit.</exception>
    public static TrainingResult Run(TrainerConfig cfg, PretrainRequest request, ILogger log, IProgress<ProgressInfo>? progress, CancellationToken cancel) =>
        Run(cfg, request, log, progress, cancel, hooks: null);

    internal static TrainingResult Run(TrainerConfig cfg, PretrainRequest request, ILogger log, IProgress<ProgressInfo>? progress, CancellationToken cancel, TrainerHooks? hooks) =>
        RunCore(cfg, request, log, cancel, hooks, (resume, comm) => Build(cfg, request, resume, comm, log, progress));

    /// <summary>
    /// Trains <paramref name="inputs"/>' model on its streams with <paramref name="cfg"/>'s optimisation settings
    /// (batch sizes, steps, optimizer, masking, precision, checkpoints, evaluation, seed); no input file is read.
    /// </summary>
    /// <param name="cfg">
    /// Its <c>data</c>, <c>model</c> and <c>model_overrides</c> keys are not read (the objects are used); its
    /// <c>tokenizer</c> is recorded as <paramref name="inputs"/>' tokenizer's spec. <c>max_length</c> and
    /// <c>micro_batch_size</c> should match what the streams give. <c>baseline_windows</c> rows of the training stream
    /// estimate the unigram baseline, after which the stream is rewound (<see cref="IBatchSource.RestoreState"/>).
    /// </param>
    /// <param name="inputs">The model, tokenizer and streams.</param>
    /// <param name="request">Where to write, how to start (fresh or resumed), on which device; its config directory is not used.</param>
    /// <param name="log">Progress and warnings.</param>
    /// <param name="progress">Step counts for a progress display; null for none.</param>
    /// <param name="cancel">Stops the run at the next step with a checkpoint to resume from.</param>
    /// <exception cref="DnaInputException">A setting, model or checkpoint that does not fit.</exception>
    public static TrainingResult Run(TrainerConfig cfg, PretrainingInputs inputs, PretrainRequest request, ILogger log, IProgress<ProgressInfo>? progress, CancellationToken cancel) =>
        Run(cfg, inputs, request, log, progress, cancel, hooks: null);

    internal static TrainingResult Run(TrainerConfig cfg, PretrainingInputs inputs, PretrainRequest request, ILogger log, IProgress<ProgressInfo>? progress, CancellationToken cancel,
        TrainerHooks? hooks)
    {
        cfg = cfg with { Tokenizer = inputs.Tokenizer.Spec };
        // Every key is checked but the data section's, which names files this path does not read (it would ask for one).
        ConfigLoader.Validate(cfg with { Data = null! }, nameof(TrainerConfig), "");
        CheckModel(inputs.Model, inputs.Tokenizer);
        return RunCore(cfg, request, log, cancel, hooks, (resume, comm) =>
            Assemble(cfg, inputs.Model, inputs.Tokenizer, inputs.Train, inputs.Validation, baselineSample: null, request, resume, comm, log, progress, owned: []));
    }

    /// <summary>
    /// The one pretraining core both entry points share: resolves the resume point, starts run.json, builds the
    /// parts (<paramref name="build"/>), runs the trainer and records how it ended.
    /// </summary>
    private static TrainingResult RunCore(TrainerConfig cfg, PretrainRequest request, ILogger log, CancellationToken cancel, TrainerHooks? hooks,
        Func<string?, ICommunicator, BuiltParts> build)
    {
        var comm = request.Communicator ?? SingleProcessCommunicator.Instance;
        var resume = CheckpointStore.Resolve(request.Resume, request.OutputDirectory, cfg.KeepLast, log);
        var record = comm.IsRoot ? RunRecord.Start(request.OutputDirectory, "pretrain", cfg, cfg.Seed, request.Device.ToString()) : null;
        try
        {
            request.Device.ApplyToCurrentThread();
            using var parts = build(resume, comm);
            using var trainer = new Trainer(parts.Parts, hooks);
            record?.Update("precision", new System.Text.Json.Nodes.JsonObject
            {
                ["requested"] = System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(cfg.Precision.ToString()),
                ["resolved"] = trainer.Precision.Name,
                ["reason"] = trainer.Precision.Reason,
            });
            var result = trainer.Run(cancel);
            record?.Set("results", System.Text.Json.JsonSerializer.SerializeToNode(result, ConfigLoader.Options));
            record?.Complete(result.Status == TrainingStatus.Completed ? "succeeded" : "interrupted");
            return result;
        }
        catch (Exception e)
        {
            record?.Complete("failed", e.Message);
            throw;
        }
    }

    /// <summary>
    /// A masked-LM architecture for <paramref name="tokenizer"/>: <paramref name="baseConfig"/> (a preset, a model
    /// directory's config, or one built in code) with the tokenizer's vocabulary size, pad and mask ids, and room for
    /// <paramref name="maxLength"/> positions. Build the model with <c>ModelFactory.Create(config, ModelHeads.MaskedLm)</c>.
    /// </summary>
    public static EncoderConfig ModelConfigFor(EncoderConfig baseConfig, DnaTokenizer tokenizer, int maxLength)
    {
        var config = baseConfig with
        {
            VocabSize = tokenizer.VocabSize,
            PadTokenId = tokenizer.PadId,
            MaskTokenId = tokenizer.MaskId,
            MaxPositionEmbeddings = Math.Max(baseConfig.MaxPositionEmbeddings, maxLength),
        };
        return config with { Architectures = [ModelFactory.ArchitectureFor(config, ModelHeads.MaskedLm)] };
    }

    /// <summary>
    /// The architecture a run trains: the preset (or start model's config) with the tokenizer's vocabulary, pad and mask
    /// ids, room for max_length positions, and for multitask runs the region and chromatin heads sized by the BED lists.
    /// </summary>
    internal static (EncoderConfig Config, ModelHeads Heads) ModelConfigFor(TrainerConfig cfg, DnaTokenizer tokenizer, EncoderConfig baseConfig)
    {
        var heads = cfg.IsMultitask ? ModelHeads.MultiTask : ModelHeads.MaskedLm;
        var modelConfig = ModelConfigFor(baseConfig, tokenizer, cfg.MaxLength) with
        {
            NumRegionLabels = cfg.Data.RegionBeds.Length > 0 ? cfg.Data.RegionBeds.Length + 1 : baseConfig.NumRegionLabels,
            NumChromatinLabels = cfg.Data.ChromatinBeds.Length > 0 ? cfg.Data.ChromatinBeds.Length : baseConfig.NumChromatinLabels,
            ProblemType = cfg.IsMultitask ? "multi_label_classification" : baseConfig.ProblemType,
        };
        modelConfig = modelConfig with { Architectures = [ModelFactory.ArchitectureFor(modelConfig, heads)] };
        ConfigLoader.Validate(modelConfig, cfg.Model, "model.");
        return (modelConfig, heads);
    }

    /// <summary>A model given as an object must predict masked tokens over the whole vocabulary masking draws from.</summary>
    private static void CheckModel(DnaModel model, DnaTokenizer tokenizer)
    {
        if ((model.Heads & ModelHeads.MaskedLm) == 0)
            throw new DnaInputException($"the model has no masked-LM head (heads: {model.Heads}): create it with ModelHeads.MaskedLm to pretrain it");
        if (model.Config.VocabSize < tokenizer.VocabSize)
            throw new DnaInputException($"the model's vocab_size {model.Config.VocabSize} is smaller than tokenizer {tokenizer.Spec}'s {tokenizer.VocabSize} tokens (Pretraining.ModelConfigFor fits a config to a tokenizer)");
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

    /// <summary>The parts from the config's files: tokenizer, model (fresh or from a start model), data streams.</summary>
    internal static BuiltParts Build(TrainerConfig cfg, PretrainRequest request, string? resume, ICommunicator comm, ILogger log, IProgress<ProgressInfo>? progress)
    {
        var tokenizer = DnaTokenizers.Load(ResolveTokenizer(cfg.Tokenizer, request.ConfigDirectory));

        // Model: the tokenizer decides the vocabulary; multitask adds region and chromatin heads.
        string? startWeights = Directory.Exists(cfg.Model) && File.Exists(Path.Combine(cfg.Model, ModelDirectory.ConfigFile)) ? cfg.Model : null;
        var baseConfig = startWeights is not null ? ModelDirectory.ReadConfig(startWeights, cfg.ModelOverrides) : ModelPresets.Load(cfg.Model, cfg.ModelOverrides);
        var (modelConfig, heads) = ModelConfigFor(cfg, tokenizer, baseConfig);

        random.manual_seed(cfg.Seed);
        var model = ModelFactory.Create(modelConfig, heads);
        if (startWeights is not null && resume is null)
        {
            var report = ModelDirectory.LoadWeights(model, ModelDirectory.WeightsPath(startWeights), HeadLoading.EncoderOnly);
            log.LogInformation("continuing pretraining from {Dir}: {Loaded} tensors loaded", startWeights, report.Loaded);
        }

        // Data: one FASTA, shards or a manifest; validation is always held out (other regions, split or contigs).
        var streams = PretrainingData.Open(cfg, tokenizer, request.ConfigDirectory, comm, log);
        return Assemble(cfg, model, tokenizer, streams.Train, streams.Validation, () => streams.Sample(cfg.Seed + 104_729), request, resume, comm, log, progress, owned: [streams, model]);
    }

    /// <summary>
    /// The rest of a run's parts, whichever way the model and streams came: the training and validation maskers and
    /// the unigram baseline, estimated on <paramref name="baselineSample"/> (a training stream with its own seed) or,
    /// when null, on the training stream itself, rewound afterwards.
    /// </summary>
    private static BuiltParts Assemble(TrainerConfig cfg, DnaModel model, DnaTokenizer tokenizer, IBatchSource train, Func<IBatchSource> validation,
        Func<IBatchSource>? baselineSample, PretrainRequest request, string? resume, ICommunicator comm, ILogger log, IProgress<ProgressInfo>? progress, IDisposable[] owned)
    {
        var specials = Enumerable.Range(0, tokenizer.VocabSize).Where(tokenizer.IsSpecial).ToArray();
        var masker = new MlmMasker(cfg.Masking, tokenizer.VocabSize, tokenizer.MaskId, specials, tokenizer.MaskSpan, cfg.Seed * 7919 + comm.Rank);
        UnigramBaseline? baseline = null;
        if (cfg.BaselineWindows > 0)
        {
            int batches = (cfg.BaselineWindows + cfg.MicroBatchSize - 1) / cfg.MicroBatchSize;
            if (baselineSample is not null)
            {
                using var sample = baselineSample();
                baseline = UnigramBaseline.Estimate(sample, batches, tokenizer.VocabSize, specials);
            }
            else
            {
                var start = train.SaveState();
                baseline = UnigramBaseline.Estimate(train, batches, tokenizer.VocabSize, specials);
                train.RestoreState(start);
            }
        }
        var parts = new TrainerParts(cfg, model, tokenizer, train, validation,
            () => new MlmMasker(cfg.Masking, tokenizer.VocabSize, tokenizer.MaskId, specials, tokenizer.MaskSpan, 12_345 + comm.Rank),
            masker, baseline, request.Device.Device, request.OutputDirectory, resume, comm, log, progress);
        return new BuiltParts(parts, baseline is null ? [masker, .. owned] : [masker, baseline, .. owned]);
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
