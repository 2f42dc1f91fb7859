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
using Serilog;
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
/// The pretraining loop: gradient accumulation over micro-batches, one gradient reduction per optimizer step
/// (<see cref="GradientBucket"/>), clipping, AdamW on float32 master weights, the schedule as a function of the step,
/// periodic validation, atomic checkpoints with everything needed for a bit-exact resume, and the metrics sinks.
/// </summary>
public sealed class Trainer : IDisposable
{
    public const string FinalDirectory = "final";
    public const string OptimizerFile = "optimizer.bin";
    public const string ConfigFile = "trainer_config.json";

    private readonly TrainerParts p;
    private readonly TrainerConfig cfg;
    private readonly PrecisionPolicy policy;
    private readonly MasterWeights master;
    private readonly AdamW optimizer;
    private readonly GradientBucket bucket;
    private readonly LrSchedule schedule;
    private readonly LossScaler? scaler;
    private readonly CheckpointStore store;
    private readonly int accumulation;
    private readonly TrainerHooks hooks;
    private long step, tokensSeen, samplesSeen;
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
        policy = new PrecisionPolicy(cfg.Precision);
        if (comm.IsRoot && PrecisionHardware.Warning(cfg.Precision, parts.Device, CpuFeatures.Flags) is string slow)
            parts.Log.Warning("{Warning}", slow);
        store = new CheckpointStore(parts.OutputDirectory, cfg.KeepLast, comm);
        schedule = new LrSchedule(cfg.Optimizer.Lr, cfg.Optimizer.Schedule, cfg.MaxSteps);
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
        optimizer = OptimizerFactory.Create(master.Named, cfg.Optimizer);
        bucket = new GradientBucket(master.Pairs, comm);
        if (parts.ResumeFrom is not null) Restore(parts.ResumeFrom);
        else random.manual_seed(cfg.Seed * 1_000_003L + comm.Rank); // dropout stream, distinct per rank
        parts.Model.train();
    }

    public long Step => step;

    /// <summary>Non-padding tokens trained on so far, over all ranks.</summary>
    public long TokensSeen => tokensSeen;

    /// <summary>The float32 weights the optimizer updates, by internal name.</summary>
    internal MasterWeights Master => master;

    public TrainingResult Run(CancellationToken cancel)
    {
        var comm = p.Communicator;
        var metrics = comm.IsRoot ? new MetricsWriter(p.OutputDirectory, p.ResumeFrom is null ? null : step) : null;
        var tb = comm.IsRoot ? new TensorBoardSink(p.OutputDirectory) : null;
        try
        {
            p.Log.Information("pretraining {Params:N0} parameters, {Precision}, global batch {Global} = {Micro} x {Accum} accumulation x {World} rank(s), steps {Start}..{Max}",
                master.Pairs.Sum(x => x.Master.numel()), cfg.Precision.ToString().ToLowerInvariant(), cfg.GlobalBatchSize, cfg.MicroBatchSize, accumulation, comm.WorldSize, step, cfg.MaxSteps);
            EvalResult? lastEval = null;
            long lastCheckpoint = p.ResumeFrom is null ? -1 : step;
            var window = new StepWindow();
            string status = "completed";
            while (step < cfg.MaxSteps && !(cfg.MaxTokens is long maxTokens && tokensSeen >= maxTokens))
            {
                if (DistributedTraining.StopRequested(comm, cancel))
                {
                    status = "interrupted";
                    break;
                }
                var stats = TrainStep();
                window.Add(stats);
                p.Progress?.Report(new ProgressInfo("pretrain", step, cfg.MaxSteps, "steps", $"loss {stats.Loss:F4} lr {lr:G3}"));
                bool last = step >= cfg.MaxSteps || (cfg.MaxTokens is long mt && tokensSeen >= mt);
                if (step % cfg.LogEvery == 0 || last)
                    LogTrain(window, metrics, tb);
                bool checkpoint = step % cfg.CheckpointEvery == 0 || last;
                if ((cfg.EvalEvery > 0 && step % cfg.EvalEvery == 0) || checkpoint)
                    lastEval = Evaluate(metrics, tb);
                if (checkpoint)
                {
                    SaveCheckpoint(lastEvalAtStep.step == step ? lastEvalAtStep.eval : null);
                    lastCheckpoint = step;
                }
                if (step % NativeHeap.TrimEvery == 0) NativeHeap.Trim();
            }
            if (status == "interrupted")
            {
                if (lastCheckpoint != step) SaveCheckpoint(null);
                p.Log.Warning("interrupted at step {Step}; checkpoint saved to {Path}; continue with --resume auto", step, store.PathFor(step));
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
                p.Log.Information("final model written to {Path}", final);
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

    /// <summary>One optimizer step: accumulate micro-batches, reduce, check, clip, step (or skip on fp16 overflow).</summary>
    internal StepStats TrainStep()
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        lr = schedule.Apply(optimizer, step);
        double lossScale = scaler?.Scale ?? 1.0;
        double loss = 0, mlm = 0, region = 0, chromatin = 0;
        bool hasRegion = false, hasChromatin = false;
        long tokens = 0;
        for (int micro = 0; micro < accumulation; micro++)
        {
            using var microScope = NewDisposeScope();
            using var batch = p.Train.Next();
            var masked = p.Masker.Apply(batch.InputIds, batch.SoftMasked);
            ObjectiveOutput o;
            try
            {
                o = PretrainingObjective.Compute(p.Model, masked, batch, cfg.Multitask, p.Device);
                (lossScale == 1.0 ? o.Total : o.Total * lossScale).backward();
            }
            catch (Exception e) when (IsOutOfMemory(e))
            {
                throw new TrainingStoppedException($"out of memory in a micro-batch of {cfg.MicroBatchSize} x {cfg.MaxLength} tokens: lower micro_batch_size (e.g. --set micro_batch_size={Math.Max(1, cfg.MicroBatchSize / 2)}); global_batch_size {cfg.GlobalBatchSize} is kept by accumulating more micro-batches");
            }
            bucket.AccumulateFromModel();
            loss += o.Total.item<float>();
            mlm += o.Mlm.item<float>();
            if (o.Region is not null) { region += o.Region.item<float>(); hasRegion = true; }
            if (o.Chromatin is not null) { chromatin += o.Chromatin.item<float>(); hasChromatin = true; }
            tokens += batch.Tokens;
        }
        hooks.AfterBackward?.Invoke(step, bucket);
        double norm = bucket.Reduce(accumulation * p.Communicator.WorldSize * lossScale);
        loss /= accumulation;
        bool finite = double.IsFinite(norm);
        if (scaler is null && (!finite || !double.IsFinite(loss)))
            throw Diverged(loss, norm);
        bool applied = scaler?.Update(finite) ?? true;
        if (applied)
        {
            bucket.Clip(norm, cfg.Optimizer.MaxGradNorm);
            optimizer.step();
            master.PushToModel();
        }
        bucket.Zero();
        step++;
        long globalTokens = p.Communicator.WorldSize > 1 ? (long)p.Communicator.AllReduceSum(tokens) : tokens;
        tokensSeen += globalTokens;
        samplesSeen += (long)cfg.GlobalBatchSize;
        DistributedTraining.CheckReplicas(p.Communicator, cfg.Distributed, step, master.Named.Select(n => (n.Name, (Tensor)n.Parameter)));
        hooks.AfterStep?.Invoke(step, this);
        return new StepStats(loss, mlm / accumulation, hasRegion ? region / accumulation : null, hasChromatin ? chromatin / accumulation : null,
            norm, lr, lossScale, !applied, globalTokens, clock.Elapsed.TotalSeconds);
    }

    private TrainingStoppedException Diverged(double loss, double norm)
    {
        var good = store.Latest();
        return new TrainingStoppedException(
            $"training diverged at step {step + 1}: loss {loss.ToString(CultureInfo.InvariantCulture)}, gradient norm {norm.ToString(CultureInfo.InvariantCulture)} ({cfg.Precision.ToString().ToLowerInvariant()}); " +
            (good is null ? "no checkpoint was written yet" : $"the last good checkpoint is {good} (continue from it with --resume {good})") +
            "; lower optimizer.lr, raise the warm-up, or set optimizer.max_grad_norm");
    }

    private static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException
        || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase);

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
        p.Log.Information("step {Step} validation loss {Loss:F4} (unigram baseline {Unigram:F4}) perplexity {Ppl:F2} accuracy {Acc:P1}",
            step, r.Loss, r.UnigramLoss, r.Perplexity, r.Accuracy);
        return r;
    }

    private void LogTrain(StepWindow w, MetricsWriter? metrics, TensorBoardSink? tb)
    {
        var comm = p.Communicator;
        double loss = comm.AllReduceSum(w.Loss) / comm.WorldSize;
        double mlm = comm.AllReduceSum(w.Mlm) / comm.WorldSize;
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
            ["step_s"] = w.Steps > 0 ? w.Seconds / w.Steps : 0,
            ["rss_mb"] = Environment.WorkingSet / 1048576.0,
        };
        if (w.Region is double r) values["loss_region"] = comm.AllReduceSum(r) / comm.WorldSize;
        if (w.Chromatin is double c) values["loss_chromatin"] = comm.AllReduceSum(c) / comm.WorldSize;
        metrics?.Write(values);
        tb?.Scalars("train", step, Numbers(values));
        p.Log.Information("step {Step} loss {Loss:F4} lr {Lr:G3} grad-norm {Norm:F3} {TokensPerS:N0} tokens/s", step, loss, lr, w.GradNorm, values["tokens_per_s"]!.GetValue<double>());
        w.Reset();
    }

    private static IEnumerable<KeyValuePair<string, double>> Numbers(JsonObject o) =>
        o.Where(kv => kv.Key is not ("step" or "kind") && kv.Value is JsonValue v && v.TryGetValue<double>(out _))
            .Select(kv => new KeyValuePair<string, double>(kv.Key, kv.Value!.GetValue<double>()));

    // ---- checkpoints -------------------------------------------------------------------------------------------

    private void SaveCheckpoint(EvalResult? evalAtThisStep)
    {
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
            Precision = cfg.Precision.ToString().ToLowerInvariant(),
            LearningRate = lr,
            Schedule = new ScheduleState
            {
                Kind = System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(cfg.Optimizer.Schedule.Kind.ToString()),
                PeakLr = schedule.PeakLr,
                WarmupSteps = schedule.WarmupSteps,
                TotalSteps = schedule.TotalSteps,
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
                optimizer.save_state_dict(Path.Combine(dir, OptimizerFile));
                state.Write(Path.Combine(dir, TrainerState.FileName));
            },
            writeRank: p.Communicator.Rank == 0 ? null : dir =>
                TrainerState.AtomicWrite(Path.Combine(dir, $"rank-{p.Communicator.Rank}.json"), System.Text.Json.JsonSerializer.Serialize(rank, TrainerState.Json)));
        p.Log.Information("checkpoint {Path}", path);
    }

    private RankState CaptureRankState() => new()
    {
        Rank = p.Communicator.Rank,
        Loader = p.Train.SaveState(),
        TorchCpuRng = RngStates.CaptureTorchCpu(),
        MaskerRng = Convert.ToBase64String(p.Masker.GetState()),
    };

    private void Restore(string dir)
    {
        var state = TrainerState.Read(Path.Combine(dir, TrainerState.FileName));
        var comm = p.Communicator;
        optimizer.load_state_dict(Path.Combine(dir, OptimizerFile));
        if (state.WorldSize == comm.WorldSize)
        {
            var rank = DistributedTraining.ReadRankState(dir, state, comm.Rank);
            if (rank.Loader is not null) p.Train.RestoreState(rank.Loader);
            p.Masker.SetState(Convert.FromBase64String(rank.MaskerRng));
            RngStates.RestoreTorchCpu(rank.TorchCpuRng);
        }
        else
        {
            // Another number of ranks (the constructor checked the global batch still divides): the data stream
            // continues after every window the old ranks read; masking and dropout streams restart per rank.
            p.Train.RestoreState(DistributedTraining.LoaderStateForWorld(dir, state, p.Train));
            random.manual_seed(DistributedTraining.ResumedSeed(cfg.Seed, state.Step, comm.Rank));
            p.Log.Warning("resuming a {Old}-rank checkpoint on {New} rank(s): same step, global batch and data position; new masking and dropout streams, so not bit-identical to an uninterrupted run",
                state.WorldSize, comm.WorldSize);
        }
        if (state.LossScaler is not null) scaler?.SetState(state.LossScaler);
        step = state.Step;
        tokensSeen = state.TokensSeen;
        samplesSeen = state.SamplesSeen;
        bestValidation = state.BestValidationLoss;
        bestValidationStep = state.BestValidationStep;
        p.Log.Information("resumed from {Path} at step {Step} ({Tokens:N0} tokens seen)", dir, step, tokensSeen);
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
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            Directory.Move(temp, dir);
        }
    }

    public static string TokenizerFileName(DnaTokenizer tokenizer) => tokenizer.Spec == "bpe" ? "tokenizer.json" : "vocab.txt";

    private void WritePlot(EvalResult? lastEval)
    {
        var metricsPath = Path.Combine(p.OutputDirectory, MetricsWriter.FileName);
        if (!File.Exists(metricsPath)) return;
        var refs = new Dictionary<string, double>();
        if (lastEval?.UnigramLoss is double u) refs["unigram baseline (validation)"] = u;
        LossPlot.Write(metricsPath, Path.Combine(p.OutputDirectory, "loss.png"), $"pretraining: {cfg.Model}, {cfg.Tokenizer}, {cfg.Precision.ToString().ToLowerInvariant()}", refs);
    }

    public void Dispose()
    {
        bucket.Dispose();
        optimizer.Dispose();
        master.Dispose();
    }
}

/// <summary>One optimizer step's numbers.</summary>
internal sealed record StepStats(double Loss, double Mlm, double? Region, double? Chromatin, double GradNorm, double Lr, double LossScale, bool Skipped, long Tokens, double Seconds);

/// <summary>Averages over the steps since the last log line.</summary>
internal sealed class StepWindow
{
    public double Loss, Mlm, GradNorm, LossScale, Seconds;
    public double? Region, Chromatin;
    public long Tokens, Skipped;
    public int Steps;

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
        Seconds += s.Seconds;
        if (s.Skipped) Skipped++;
    }

    public void Reset()
    {
        Loss = Mlm = GradNorm = Seconds = 0;
        Region = Chromatin = null;
        Tokens = Skipped = 0;
        Steps = 0;
    }
}
