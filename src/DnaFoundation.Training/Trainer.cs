using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Masking;
using DnaFoundation.Training.Observability;
using DnaFoundation.Training.Optimization;
using DnaFoundation.Training.Precision;
using DnaFoundation.Training.Steps;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training;

/// <summary>Everything a <see cref="Trainer"/> works on, built by <see cref="Pretraining"/>.</summary>
public sealed record TrainerParts(
    TrainerConfig Config,
    DnaModel Model,
    DnaTokenizer Tokenizer,
    IBatchSource Train,
    Func<IBatchSource> Validation,
    Func<MlmMasker> ValidationMasker,
    MlmMasker Masker,
    UnigramBaseline? Baseline,
    Device Device,
    string OutputDirectory,
    string? ResumeFrom,
    ICommunicator Communicator,
    ILogger Log,
    IProgress<ProgressInfo>? Progress);

/// <summary>
/// The pretraining loop: micro-batches of masked windows through the <see cref="OptimizerStepEngine"/> (accumulation,
/// one gradient reduction, clipping, AdamW on float32 master weights, the schedule as a function of the step),
/// periodic validation, atomic checkpoints with everything needed for a bit-exact resume, and the metrics sinks.
/// Losses and gradient norms stay on the device between log lines (<see cref="StepWindow"/> reads them once per
/// <c>log_every</c>).
/// </summary>
public sealed class Trainer : IDisposable
{
    /// <summary>The folder, under the output directory, of the finished model (config, weights, tokenizer).</summary>
    public const string FinalDirectory = "final";

    /// <summary>A checkpoint's optimizer state (AdamW moments and float32 master weights).</summary>
    public const string OptimizerFile = "optimizer.bin";

    /// <summary>The run's <see cref="TrainerConfig"/> as a checkpoint and the final model record it.</summary>
    public const string ConfigFile = "trainer_config.json";

    private readonly TrainerParts p;
    private readonly TrainerConfig cfg;
    private readonly PrecisionPolicy policy;
    private readonly MasterWeights master;
    private readonly OptimizerStepEngine engine;
    private readonly LossScaler? scaler;
    private readonly CheckpointStore store;
    private readonly int accumulation;
    private readonly TrainerHooks hooks;
    private readonly DeterminismPlan determinism;
    private long step, tokensSeen, samplesSeen, truncatedRows;
    private double? bestValidation;
    private long? bestValidationStep;
    private double lr;

    internal Trainer(TrainerParts parts, TrainerHooks? hooks = null)
    {
        p = parts;
        cfg = parts.Config;
        this.hooks = hooks ?? new TrainerHooks();
        var comm = parts.Communicator;
        accumulation = cfg.AccumulationSteps(comm.WorldSize);
        if (accumulation < 1 || cfg.GlobalBatchSize != accumulation * cfg.MicroBatchSize * comm.WorldSize)
            throw new DnaInputException($"global_batch_size {cfg.GlobalBatchSize} must be a multiple of micro_batch_size ({cfg.MicroBatchSize}) × ranks ({comm.WorldSize})");
        policy = PrecisionPolicy.For(cfg.Precision, parts.Device);
        if (comm.IsRoot && PrecisionHardware.Warning(policy.Mode, parts.Device, CpuFeatures.Flags) is string slow)
            parts.Log.LogWarning("{Warning}", slow);
        if (parts.Device.type == DeviceType.CUDA && comm.IsRoot
            && PrecisionHardware.CudaWarning(cfg.Precision, CudaDevices.Capability(Math.Max(0, (int)parts.Device.index))) is string gpuSlow)
            parts.Log.LogWarning("{Warning}", gpuSlow);
        // Before the first CUDA matrix product: cuBLAS reads its workspace setting when it makes its handle.
        determinism = Determinism.For(parts.Device, cfg.Deterministic);
        if (this.hooks.ReseedPerStep) determinism = determinism with { ReseedPerStep = true };
        Determinism.Apply(determinism);
        store = new CheckpointStore(parts.OutputDirectory, cfg.KeepLast, comm) { BeforeSeal = this.hooks.BeforeCheckpointSeal };
        scaler = policy.UsesLossScaling ? new LossScaler(cfg.LossScaler) : null;

        // Weights first (fresh init happened in the model's constructor; a resume overwrites them), then the
        // precision split, then the optimizer over the float32 masters.
        if (parts.ResumeFrom is not null)
            ModelDirectory.LoadWeights(parts.Model, ModelDirectory.WeightsPath(parts.ResumeFrom), HeadLoading.Strict);
        parts.Model.to(parts.Device);
        master = MasterWeights.Prepare(parts.Model, policy);
        if (comm.WorldSize > 1 && parts.ResumeFrom is null)
        {
            WeightSync.BroadcastFrom(comm, master.Named.Select(n => (n.Name, (Tensor)n.Parameter)).ToList());
            master.PushToModel();
        }
        engine = new OptimizerStepEngine(master, cfg.Optimizer, cfg.MaxSteps, comm, scaler, "training", policy.Name, lossTerms: accumulation,
            outOfMemoryAdvice: $"{cfg.MicroBatchSize} x {cfg.MaxLength} tokens do not fit: lower micro_batch_size (e.g. micro_batch_size={Math.Max(1, cfg.MicroBatchSize / 2)}); global_batch_size {cfg.GlobalBatchSize} is kept by accumulating more micro-batches");
        if (parts.ResumeFrom is not null) Restore(parts.ResumeFrom);
        else random.manual_seed(cfg.Seed * 1_000_003L + comm.Rank); // dropout stream, distinct per rank
        parts.Model.train();
    }

    /// <summary>Optimizer steps taken so far (the resumed step after a resume).</summary>
    public long Step => step;

    /// <summary>The precision this run computes in (<c>auto</c> resolved for its device).</summary>
    public PrecisionPolicy Precision => policy;

    /// <summary>Non-padding tokens trained on so far, over all ranks.</summary>
    public long TokensSeen => tokensSeen;

    /// <summary>The float32 weights the optimizer updates, by internal name.</summary>
    internal MasterWeights Master => master;

    /// <summary>
    /// Trains until max_steps (or max_tokens) or until <paramref name="cancel"/> fires; then saves a checkpoint (and
    /// the final model when complete) and returns how the run ended.
    /// </summary>
    /// <exception cref="Steps.NumericalFailureException">A loss or gradient stopped being finite.</exception>
    public TrainingResult Run(CancellationToken cancel)
    {
        var comm = p.Communicator;
        var metrics = comm.IsRoot ? new MetricsWriter(p.OutputDirectory, p.ResumeFrom is null ? null : step) : null;
        var tb = comm.IsRoot ? new TensorBoardSink(p.OutputDirectory) : null;
        try
        {
            p.Log.LogInformation("pretraining {Params:N0} parameters, precision {Precision}, BLAS {Blas}, global batch {Global} = {Micro} x {Accum} accumulation x {World} rank(s), steps {Start}..{Max}",
                master.Pairs.Sum(x => x.Master.numel()), policy.Description, BlasProvider.Current.Signature, cfg.GlobalBatchSize, cfg.MicroBatchSize, accumulation, comm.WorldSize, step, cfg.MaxSteps);
            EvalResult? lastEval = null;
            long lastCheckpoint = p.ResumeFrom is null ? -1 : step;
            var window = new StepWindow();
            var status = TrainingStatus.Completed;
            while (step < cfg.MaxSteps && !(cfg.MaxTokens is long maxTokens && tokensSeen >= maxTokens))
            {
                if (DistributedTraining.StopRequested(comm, cancel))
                {
                    status = TrainingStatus.Interrupted;
                    break;
                }
                window.Add(TrainStep());
                // The loss shown is the last logged one: reading this step's would wait for the device every step.
                p.Progress?.Report(new ProgressInfo("pretrain", step, cfg.MaxSteps, "steps", window.LastLoss is double shown ? $"loss {shown:F4} lr {lr:G3}" : $"lr {lr:G3}"));
                bool last = step >= cfg.MaxSteps || (cfg.MaxTokens is long mt && tokensSeen >= mt);
                bool log = step % cfg.LogEvery == 0 || last;
                bool checkpoint = step % cfg.CheckpointEvery == 0 || last;
                if (log || checkpoint || (cfg.EvalEvery > 0 && step % cfg.EvalEvery == 0))
                    engine.ThrowIfDiverged(DivergedAdvice());
                if (log)
                    LogTrain(window, metrics, tb);
                if ((cfg.EvalEvery > 0 && step % cfg.EvalEvery == 0) || checkpoint)
                    lastEval = Evaluate(metrics, tb);
                if (checkpoint)
                {
                    SaveCheckpoint(lastEvalAtStep.step == step ? lastEvalAtStep.eval : null);
                    lastCheckpoint = step;
                }
            }
            if (truncatedRows > 0)
                p.Log.LogWarning("{Rows} rows were truncated to max_length ({Max} tokens) in this session's steps (truncated_rows in metrics.jsonl)", truncatedRows, cfg.MaxLength);
            if (status == TrainingStatus.Interrupted)
            {
                if (lastCheckpoint != step) SaveCheckpoint(null);
                p.Log.LogWarning("interrupted at step {Step}; checkpoint saved to {Path}; resume from it (resume = auto)", step, store.PathFor(step));
                return new TrainingResult(status, step, tokensSeen, lastEval, null, store.PathFor(step));
            }
            if (lastCheckpoint != step) SaveCheckpoint(lastEvalAtStep.step == step ? lastEvalAtStep.eval : null);
            string? final = null;
            if (comm.IsRoot)
            {
                final = Path.Combine(p.OutputDirectory, FinalDirectory);
                WriteModelDirectory(final, finalModel: true);
                metrics?.Dispose();
                metrics = null;
                WritePlot(lastEval);
                p.Log.LogInformation("final model written to {Path}", final);
            }
            comm.Barrier();
            return new TrainingResult(status, step, tokensSeen, lastEval, final, store.PathFor(step));
        }
        finally
        {
            metrics?.Dispose();
        }
    }

    private (long step, EvalResult? eval) lastEvalAtStep = (-1, null);

    /// <summary>One optimizer step: this rank's micro-batches through the engine (or a skip on fp16 overflow).</summary>
    internal StepRecord TrainStep()
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        if (determinism.ReseedPerStep) Determinism.Reseed(p.Device, Determinism.StepSeed(cfg.Seed, p.Communicator.Rank, step));
        var sums = new ObjectiveSums(p.Device);
        var outcome = engine.Step(step, MicroBatches(sums), accumulation * p.Communicator.WorldSize, hooks.AfterBackward);
        lr = outcome.Lr;
        step++;
        long globalTokens = p.Communicator.WorldSize > 1 ? (long)p.Communicator.AllReduceSum(sums.Tokens) : sums.Tokens;
        tokensSeen += globalTokens;
        samplesSeen += (long)cfg.GlobalBatchSize;
        DistributedTraining.CheckReplicas(p.Communicator, cfg.Distributed, step, master.Named.Select(n => (n.Name, (Tensor)n.Parameter)));
        hooks.AfterStep?.Invoke(step, this);
        // (loss, mlm, region, chromatin sums, gradient norm) stay on the device until the log line reads them.
        var values = stack([outcome.LossSum, sums.Mlm, sums.Region, sums.Chromatin, outcome.GradientNorm.to(ScalarType.Float64)]).DetachFromDisposeScope();
        return new StepRecord(values, accumulation, sums.HasRegion, sums.HasChromatin, lr, outcome.LossScale, outcome.Skipped, globalTokens,
            clock.Elapsed.TotalSeconds, sums.Padding, sums.Truncated);
    }

    /// <summary>This rank's micro-batches of one step: windows, masking, the objective; loss parts summed on the device.</summary>
    private IEnumerable<MicroBatchLoss> MicroBatches(ObjectiveSums sums)
    {
        for (int micro = 0; micro < accumulation; micro++)
        {
            using var microScope = NewDisposeScope();
            using var batch = p.Train.Next();
            var masked = p.Masker.Apply(batch.InputIds, batch.SoftMasked);
            var o = PretrainingObjective.Compute(p.Model, masked, batch, cfg.Multitask, p.Device);
            yield return new MicroBatchLoss(o.Total);
            sums.Add(o, batch);
        }
    }

    private string DivergedAdvice()
    {
        var good = store.Latest();
        return (good is null ? "no checkpoint was written yet" : $"the last good checkpoint is {good} (resume from it)") +
            "; lower optimizer.lr, raise the warm-up, or set optimizer.max_grad_norm";
    }

    private EvalResult Evaluate(MetricsWriter? metrics, TensorBoardSink? tb)
    {
        using var source = p.Validation();
        using var masker = p.ValidationMasker();
        var r = Evaluator.Run(p.Model, source, masker, cfg.EvalBatches, cfg.Multitask, p.Baseline, p.Device, p.Communicator);
        lastEvalAtStep = (step, r);
        if (r.Loss < (bestValidation ?? double.PositiveInfinity))
        {
            bestValidation = r.Loss;
            bestValidationStep = step;
        }
        var values = new JsonObject
        {
            ["step"] = step,
            ["kind"] = "eval",
            ["loss"] = r.Loss,
            ["perplexity"] = r.Perplexity,
            ["accuracy"] = r.Accuracy,
            ["masked_tokens"] = r.MaskedTokens,
        };
        if (r.UnigramLoss is double u) values["unigram_loss"] = u;
        if (r.RegionLoss is double rl) values["loss_region"] = rl;
        if (r.ChromatinLoss is double cl) values["loss_chromatin"] = cl;
        metrics?.Write(values);
        tb?.Scalars("eval", step, Numbers(values));
        p.Log.LogInformation("step {Step} validation loss {Loss:F4} (unigram baseline {Unigram:F4}) perplexity {Ppl:F2} accuracy {Acc:P1}",
            step, r.Loss, r.UnigramLoss, r.Perplexity, r.Accuracy);
        return r;
    }

    private void LogTrain(StepWindow w, MetricsWriter? metrics, TensorBoardSink? tb)
    {
        w.Flush();
        var comm = p.Communicator;
        double loss = comm.AllReduceSum(w.Loss) / comm.WorldSize;
        double mlm = comm.AllReduceSum(w.Mlm) / comm.WorldSize;
        double padding = comm.AllReduceSum(w.Padding);
        long truncated = (long)comm.AllReduceSum(w.Truncated);
        var values = new JsonObject
        {
            ["step"] = step,
            ["kind"] = "train",
            ["loss"] = loss,
            ["loss_mlm"] = mlm,
            ["lr"] = lr,
            ["grad_norm"] = w.GradNorm,
            ["loss_scale"] = w.LossScale,
            ["skipped_steps"] = w.Skipped,
            ["tokens"] = tokensSeen,
            ["tokens_per_s"] = w.Seconds > 0 ? w.Tokens / w.Seconds : 0,
            ["pad_fraction"] = w.Tokens + padding > 0 ? padding / (w.Tokens + padding) : 0,
            ["truncated_rows"] = truncated,
            ["step_s"] = w.Steps > 0 ? w.Seconds / w.Steps : 0,
            ["rss_mb"] = Environment.WorkingSet / 1048576.0,
        };
        if (w.Region is double r) values["loss_region"] = comm.AllReduceSum(r) / comm.WorldSize;
        if (w.Chromatin is double c) values["loss_chromatin"] = comm.AllReduceSum(c) / comm.WorldSize;
        metrics?.Write(values);
        tb?.Scalars("train", step, Numbers(values));
        p.Log.LogInformation("step {Step} loss {Loss:F4} lr {Lr:G3} grad-norm {Norm:F3} {TokensPerS:N0} tokens/s", step, loss, lr, w.GradNorm, values["tokens_per_s"]!.GetValue<double>());
        if (truncated > 0 && truncatedRows == 0)
            p.Log.LogWarning("{Rows} rows of the steps up to {Step} were longer than max_length ({Max} tokens) and lost their last tokens (metrics.jsonl counts them per log line as truncated_rows): " +
                "pack rows by tokens (data.pack=true), or raise max_length or lower data.window_bp", truncated, step, cfg.MaxLength);
        truncatedRows += truncated;
        w.Reset();
    }

    private static IEnumerable<KeyValuePair<string, double>> Numbers(JsonObject o) =>
        o.Where(kv => kv.Key is not ("step" or "kind") && kv.Value is JsonValue v && v.TryGetValue<double>(out _))
            .Select(kv => new KeyValuePair<string, double>(kv.Key, kv.Value!.GetValue<double>()));

    // ---- checkpoints -------------------------------------------------------------------------------------------

    private void SaveCheckpoint(EvalResult? evalAtThisStep)
    {
        engine.ThrowIfDiverged(DivergedAdvice()); // never seal non-finite weights
        // Capture the random streams first: writing must not disturb them (building the float32 export model
        // draws initial weights), and they must be the ones the next step would use.
        var rank = CaptureRankState();
        var state = new TrainerState
        {
            Step = step,
            TokensSeen = tokensSeen,
            SamplesSeen = samplesSeen,
            Seed = cfg.Seed,
            WorldSize = p.Communicator.WorldSize,
            Precision = policy.Name,
            Blas = BlasProvider.Current.Signature,
            LearningRate = lr,
            Schedule = new ScheduleState
            {
                Kind = System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(cfg.Optimizer.Schedule.Kind.ToString()),
                PeakLr = engine.Schedule.PeakLr,
                WarmupSteps = engine.Schedule.WarmupSteps,
                TotalSteps = engine.Schedule.TotalSteps,
                MinLrRatio = cfg.Optimizer.Schedule.MinLrRatio,
            },
            LossScaler = scaler?.GetState(),
            ValidationLoss = evalAtThisStep?.Loss,
            BestValidationLoss = bestValidation,
            BestValidationStep = bestValidationStep,
            RankState = rank,
        };
        var path = store.Save(step,
            writeShared: dir =>
            {
                WriteModelDirectory(dir, finalModel: false);
                engine.Optimizer.save_state_dict(Path.Combine(dir, OptimizerFile));
                state.Write(Path.Combine(dir, TrainerState.FileName));
            },
            writeRank: p.Communicator.Rank == 0 ? null : dir =>
                Core.AtomicFile.WriteAllText(Path.Combine(dir, $"rank-{p.Communicator.Rank}.json"), System.Text.Json.JsonSerializer.Serialize(rank, TrainerState.Json)));
        p.Log.LogInformation("checkpoint {Path}", path);
    }

    private RankState CaptureRankState() => new()
    {
        Rank = p.Communicator.Rank,
        Loader = p.Train.SaveState(),
        TorchCpuRng = RngStates.CaptureTorchCpu(),
        MaskerRng = Convert.ToBase64String(p.Masker.GetState()),
        DeviceRng = determinism.DeviceRng,
    };

    private void Restore(string dir)
    {
        var state = TrainerState.Read(Path.Combine(dir, TrainerState.FileName));
        var comm = p.Communicator;
        engine.Optimizer.load_state_dict(Path.Combine(dir, OptimizerFile));
        if (state.WorldSize == comm.WorldSize)
        {
            var rank = CheckpointResume.ReadRankState(dir, state, comm.Rank);
            CheckpointResume.RestoreLoader(p.Train, rank.Loader, Path.Combine(dir, TrainerState.FileName));
            p.Masker.SetState(Convert.FromBase64String(rank.MaskerRng));
            RngStates.RestoreTorchCpu(rank.TorchCpuRng);
            if (rank.DeviceRng != determinism.DeviceRng)
                p.Log.LogWarning("the checkpoint's device random stream is '{Saved}', this run's is '{Now}' (another device kind?): dropout draws will differ from an uninterrupted run",
                    rank.DeviceRng.Length == 0 ? "cpu state" : rank.DeviceRng, determinism.DeviceRng.Length == 0 ? "cpu state" : determinism.DeviceRng);
        }
        else
        {
            // Another number of ranks (the constructor checked the global batch still divides): the data stream
            // continues after every window the old ranks read; masking and dropout streams restart per rank.
            CheckpointResume.RestoreLoader(p.Train, DistributedTraining.LoaderStateForWorld(dir, state, p.Train), Path.Combine(dir, TrainerState.FileName));
            random.manual_seed(DistributedTraining.ResumedSeed(cfg.Seed, state.Step, comm.Rank));
            p.Log.LogWarning("resuming a {Old}-rank checkpoint on {New} rank(s): same step, global batch and data position; new masking and dropout streams, so not bit-identical to an uninterrupted run",
                state.WorldSize, comm.WorldSize);
        }
        if (state.LossScaler is not null) scaler?.SetState(state.LossScaler);
        if (comm.IsRoot && state.Precision != policy.Name)
            p.Log.LogWarning("the checkpoint was trained in {Old}, this run computes in {New}: the optimizer continues from the same float32 weights, but the losses will differ from an uninterrupted run",
                state.Precision, policy.Description);
        if (comm.IsRoot && state.Blas is not null && state.Blas != BlasProvider.Current.Signature)
            p.Log.LogWarning("the checkpoint was trained with BLAS {Old}, this run uses {New} ({Variable}={Setting}): the run continues, but float32 products round differently in the last bits, so it will not be bit-identical to an uninterrupted run; set {Variable} to match for an exact resume",
                state.Blas, BlasProvider.Current.Signature, BlasProvider.Variable, BlasProvider.Current.Setting, BlasProvider.Variable);
        step = state.Step;
        tokensSeen = state.TokensSeen;
        samplesSeen = state.SamplesSeen;
        bestValidation = state.BestValidationLoss;
        bestValidationStep = state.BestValidationStep;
        p.Log.LogInformation("resumed from {Path} at step {Step} ({Tokens:N0} tokens seen)", dir, step, tokensSeen);
    }

    /// <summary>config.json + model.safetensors (float32 master weights) + the tokenizer file (+ the resolved trainer config).</summary>
    private void WriteModelDirectory(string dir, bool finalModel)
    {
        var temp = finalModel ? dir + ".tmp" : dir;
        if (finalModel && Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        if (!policy.UsesMasterWeights)
            ModelDirectory.Save(p.Model, temp);
        else
        {
            // A float32 twin carries the master weights; its construction must not move the random streams.
            using var rng = random.get_rng_state();
            using var export = new DnaModel(p.Model.Config, p.Model.Heads);
            using (no_grad())
            {
                var byName = export.named_parameters().ToDictionary(x => x.name, x => x.parameter);
                foreach (var (name, m, _) in master.Pairs) byName[name].copy_(m.cpu());
            }
            random.set_rng_state(rng);
            ModelDirectory.Save(export, temp);
        }
        p.Tokenizer.Save(Path.Combine(temp, TokenizerFileName(p.Tokenizer)));
        File.WriteAllText(Path.Combine(temp, ConfigFile), ConfigLoader.Serialize(cfg));
        if (finalModel)
        {
            CheckpointManifest.Write(temp);     // checkpoints get theirs from the store
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Directory.Move(temp, dir);
        }
    }

    /// <summary>The file a model directory keeps its tokenizer in: tokenizer.json for BPE, vocab.txt for the others.</summary>
    public static string TokenizerFileName(DnaTokenizer tokenizer) => tokenizer.Spec == "bpe" ? "tokenizer.json" : "vocab.txt";

    private void WritePlot(EvalResult? lastEval)
    {
        var metricsPath = Path.Combine(p.OutputDirectory, MetricsWriter.FileName);
        if (!File.Exists(metricsPath)) return;
        var refs = new Dictionary<string, double>();
        if (lastEval?.UnigramLoss is double u) refs["unigram baseline (validation)"] = u;
        LossPlot.Write(metricsPath, Path.Combine(p.OutputDirectory, "loss.png"), $"pretraining: {cfg.Model}, {cfg.Tokenizer}, {policy.Name}", refs);
    }

    public void Dispose()
    {
        engine.Dispose();
        master.Dispose();
    }
}

/// <summary>One optimizer step's numbers, read on the host.</summary>
/// <param name="Padding">Padding positions in this rank's micro-batches.</param>
/// <param name="Truncated">Rows of this rank's micro-batches cut at max_length.</param>
internal sealed record StepStats(double Loss, double Mlm, double? Region, double? Chromatin, double GradNorm, double Lr, double LossScale, bool Skipped, long Tokens, double Seconds,
    long Padding = 0, long Truncated = 0);

/// <summary>
/// One optimizer step as the loop keeps it until its log line: <paramref name="Values"/> (float64, on the device) holds
/// the sums over the step's micro-batches of the loss, the MLM, region and chromatin losses, then the gradient norm.
/// </summary>
internal sealed record StepRecord(Tensor Values, int MicroBatches, bool HasRegion, bool HasChromatin, double Lr, double LossScale, bool Skipped, long Tokens, double Seconds,
    long Padding, long Truncated)
{
    public StepStats Read(ReadOnlySpan<double> v) => new(v[0] / MicroBatches, v[1] / MicroBatches, HasRegion ? v[2] / MicroBatches : null, HasChromatin ? v[3] / MicroBatches : null,
        v[4], Lr, LossScale, Skipped, Tokens, Seconds, Padding, Truncated);
}

/// <summary>The objective's parts summed over one step's micro-batches, on the device, and the batches' host counts.</summary>
internal sealed class ObjectiveSums(Device device)
{
    public Tensor Mlm { get; } = zeros([], ScalarType.Float64, device);
    public Tensor Region { get; } = zeros([], ScalarType.Float64, device);
    public Tensor Chromatin { get; } = zeros([], ScalarType.Float64, device);
    public bool HasRegion { get; private set; }
    public bool HasChromatin { get; private set; }
    public long Tokens { get; private set; }
    public long Padding { get; private set; }
    public long Truncated { get; private set; }

    public void Add(ObjectiveOutput o, TrainingBatch batch)
    {
        using var _ = no_grad();
        Mlm.add_(o.Mlm.detach().to(ScalarType.Float64));
        if (o.Region is not null) { Region.add_(o.Region.detach().to(ScalarType.Float64)); HasRegion = true; }
        if (o.Chromatin is not null) { Chromatin.add_(o.Chromatin.detach().to(ScalarType.Float64)); HasChromatin = true; }
        Tokens += batch.Tokens;
        Padding += batch.PaddingTokens;
        Truncated += batch.TruncatedRows;
    }
}

/// <summary>Averages over the steps since the last log line; the steps' device numbers are read once, by <see cref="Flush"/>.</summary>
internal sealed class StepWindow
{
    private readonly List<StepRecord> pending = [];
    public double Loss, Mlm, GradNorm, LossScale, Seconds;
    public double? Region, Chromatin;
    public long Tokens, Skipped, Padding, Truncated;
    public int Steps;

    /// <summary>The loss of the last step read (for progress lines between log steps).</summary>
    public double? LastLoss { get; private set; }

    public void Add(StepRecord r) => pending.Add(r);

    /// <summary>Reads every pending step's numbers in one host read and folds them in, in step order.</summary>
    public void Flush()
    {
        if (pending.Count == 0) return;
        double[] v;
        using (var all = cat(pending.Select(r => r.Values).ToList()))
            v = HostReads.Values(all);
        for (int i = 0; i < pending.Count; i++)
        {
            Add(pending[i].Read(v.AsSpan(5 * i, 5)));
            pending[i].Values.Dispose();
        }
        pending.Clear();
        LastLoss = Loss;
    }

    public void Add(StepStats s)
    {
        Steps++;
        Loss += (s.Loss - Loss) / Steps;
        Mlm += (s.Mlm - Mlm) / Steps;
        if (s.Region is double r) Region = (Region ?? 0) + (r - (Region ?? 0)) / Steps;
        if (s.Chromatin is double c) Chromatin = (Chromatin ?? 0) + (c - (Chromatin ?? 0)) / Steps;
        GradNorm = s.GradNorm;
        LossScale = s.LossScale;
        Tokens += s.Tokens;
        Padding += s.Padding;
        Truncated += s.Truncated;
        Seconds += s.Seconds;
        if (s.Skipped) Skipped++;
    }

    public void Reset()
    {
        Loss = Mlm = GradNorm = Seconds = 0;
        Region = Chromatin = null;
        Tokens = Skipped = Padding = Truncated = 0;
        Steps = 0;
    }
}
