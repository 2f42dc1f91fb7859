using System.Diagnostics;
using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using DnaFoundation.Training;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Observability;
using DnaFoundation.Training.Optimization;
using DnaFoundation.Training.Precision;
using DnaFoundation.Training.Steps;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// Supervised fine-tuning on the trainer's machinery (precision policy with float32 master weights, the
/// <see cref="OptimizerStepEngine"/>, the warm-up/linear schedule, metrics.jsonl): one optimizer step consumes one
/// global batch, split into micro-batches whose losses are weighted by their share of the global batch, so the
/// step's gradient is the global-batch mean however it was split. Losses stay on the device and are read every
/// log_steps and before each evaluation; dev is evaluated every eval_steps and at the end; the best evaluation's
/// weights are restored before returning.
/// </summary>
public sealed class FineTuner
{
    private readonly FineTuneConfig cfg;
    private readonly Device device;
    private readonly IProgress<ProgressInfo>? progress;
    private readonly ICommunicator comm;
    private LoraAttachment? lora;

    /// <summary>A fine-tuner for one run's settings on one device.</summary>
    /// <param name="config">The run's settings (batches, schedule, evaluation, LoRA, precision).</param>
    /// <param name="device">Where the model is trained (it is moved there by <see cref="Run"/>).</param>
    /// <param name="progress">Step reports for a progress bar; null for none.</param>
    /// <param name="communicator">Under mpirun: each rank takes every world-th example of a global batch, gradients
    /// are summed across ranks in the bucket, only rank 0 writes metrics.</param>
    public FineTuner(FineTuneConfig config, Device device, IProgress<ProgressInfo>? progress = null, ICommunicator? communicator = null)
    {
        cfg = config;
        this.device = device;
        this.progress = progress;
        comm = communicator ?? SingleProcessCommunicator.Instance;
    }

    /// <summary>The task's loss on float32 logits (cross-entropy, per-label BCE, or per-token cross-entropy ignoring −100).</summary>
    public static Tensor Loss(FineTuneTask task, Tensor logits, Tensor target) => task switch
    {
        FineTuneTask.MultiLabel => Losses.MultiLabel(logits, target),
        _ => Losses.CrossEntropy(logits, target),
    };

    /// <summary>Optimizer steps for a run: epochs × ⌈N / global batch⌉, or max_steps when set (as HF Trainer).</summary>
    public static long TotalSteps(FineTuneConfig c, int trainCount)
    {
        long perEpoch = (trainCount + c.GlobalBatch - 1) / c.GlobalBatch;
        return c.MaxSteps > 0 ? c.MaxSteps : Math.Max(1, (long)Math.Ceiling(c.Epochs * perEpoch));
    }

    /// <summary>
    /// Fine-tunes <paramref name="model"/> in place on <paramref name="train"/>, evaluating on <paramref name="dev"/>,
    /// and leaves the best evaluation's weights in it.
    /// </summary>
    /// <param name="model">The model with the head the task needs (its other weights pretrained or fresh).</param>
    /// <param name="padId">The tokenizer's padding id (examples are padded per micro-batch).</param>
    /// <param name="train">Tokenized training examples (<see cref="FineTuneExamples"/> makes them from labelled sequences).</param>
    /// <param name="dev">Tokenized dev examples; empty to keep the last step's weights.</param>
    /// <param name="runDirectory">Where metrics.jsonl is written; null for none.</param>
    /// <param name="cancel">Stops the run between steps; the weights are then those of the best evaluation so far.</param>
    /// <exception cref="Training.Steps.NumericalFailureException">A loss or gradient stopped being finite.</exception>
    public FineTuneResult Run(DnaModel model, int padId, IReadOnlyList<FineTuneExample> train, IReadOnlyList<FineTuneExample> dev,
        string? runDirectory = null, CancellationToken cancel = default)
    {
        if (train.Count == 0) throw new DnaInputException("no training examples");
        var clock = Stopwatch.StartNew();
        model.to(device);
        lora = cfg.Lora is null ? null : LoraAttachment.Attach(model, cfg.Lora, cfg.Seed);
        // The network the optimizer sees: the model plus any adapters, so master weights and the bucket cover both.
        // Not disposed: it only groups modules the caller owns.
        var network = new FineTuneNetwork(model, lora);
        var policy = PrecisionPolicy.For(cfg.Precision, device);
        using var master = MasterWeights.Prepare(network, policy);
        WeightSync.BroadcastFrom(comm, master.Named.Select(n => (n.Name, (Tensor)n.Parameter)).ToList()); // ranks start equal
        master.PushToModel();
        var optCfg = new OptimizerConfig
        {
            Lr = cfg.LearningRate, Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8, WeightDecay = cfg.WeightDecay, MaxGradNorm = cfg.MaxGradNorm,
            Schedule = new ScheduleConfig { Kind = ScheduleKind.Linear, WarmupSteps = cfg.WarmupSteps },
        };
        long total = TotalSteps(cfg, train.Count);
        using var engine = new OptimizerStepEngine(master, optCfg, total, comm, scaler: null, "fine-tuning", policy.Name,
            outOfMemoryAdvice: $"lower micro_batch ({cfg.MicroBatch}); global_batch {cfg.GlobalBatch} is kept by accumulating more micro-batches");
        if (runDirectory is not null) Directory.CreateDirectory(runDirectory);
        using var metrics = runDirectory is null || !comm.IsRoot ? null : new MetricsWriter(runDirectory, null);

        var order = new EpochOrder(train.Count, cfg.Seed);
        random.manual_seed(cfg.Seed + comm.Rank); // dropout stream, distinct per rank
        model.train();
        var devCurve = new List<DevPoint>();
        DevPoint? best = null;
        Dictionary<string, Tensor>? bestWeights = null;
        int sinceBest = 0;
        bool stoppedEarly = false;
        long step = 0;
        var lines = new TrainLines(engine, comm, metrics);
        try
        {
            while (step < total)
            {
                if (DistributedTraining.StopRequested(comm, cancel))
                {
                    lines.Flush();
                    throw new OperationCanceledException(cancel); // every rank stops together
                }
                var global = order.Take(cfg.GlobalBatch).Select(i => train[i]).ToList();
                using (var scope = NewDisposeScope())
                {
                    var outcome = engine.Step(step, MicroBatches(model, padId, global), divisor: 1.0); // the shares already average
                    lines.Add(step + 1, outcome.LossSum, outcome.Lr, order.Epoch);
                }
                step++;
                progress?.Report(new ProgressInfo("finetune", step, total, "steps", lines.LastLoss is double shown ? $"loss {shown:F4}" : ""));
                bool evaluate = step % cfg.EvalSteps == 0 || step == total;
                if (evaluate || step % cfg.LogSteps == 0) lines.Flush();
                if (!evaluate) continue;
                var point = EvaluateDev(model, dev, step);
                devCurve.Add(point);
                metrics?.Write(new JsonObject { ["step"] = step, ["kind"] = "eval", ["loss"] = point.Loss, ["metrics"] = new JsonObject(point.Metrics.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(double.IsNaN(kv.Value) ? 0 : kv.Value)))) });
                if (best is null || Better(point, best))
                {
                    best = point;
                    sinceBest = 0;
                    bestWeights = Snapshot(network, bestWeights);
                }
                else if (cfg.Patience > 0 && ++sinceBest >= cfg.Patience)
                {
                    stoppedEarly = true;
                    break;
                }
            }
            if (bestWeights is not null) Restore(network, bestWeights);
            lora?.MergeInto();
            if (policy.UsesMasterWeights) model.to(ScalarType.Float32);
            return new FineTuneResult(step, best?.Step ?? step, best, stoppedEarly, devCurve, clock.Elapsed.TotalSeconds,
                (int)master.Pairs.Sum(p => p.Master.numel()));
        }
        finally
        {
            if (bestWeights is not null) foreach (var t in bestWeights.Values) t.Dispose();
            lines.Dispose();
        }
    }

    /// <summary>This rank's share of a global batch as micro-batches, each loss weighted by its share of the whole global batch.</summary>
    private IEnumerable<MicroBatchLoss> MicroBatches(DnaModel model, int padId, IReadOnlyList<FineTuneExample> global)
    {
        // Each rank's losses are weighted by their share of the whole global batch, so the sum over ranks (in the
        // bucket) is the global-batch mean.
        var mine = comm.WorldSize == 1 ? global : global.Where((_, i) => i % comm.WorldSize == comm.Rank).ToList();
        for (int start = 0; start < mine.Count; start += cfg.MicroBatch)
        {
            using var micro = NewDisposeScope();
            var batch = mine.Skip(start).Take(cfg.MicroBatch).ToList();
            var (ids, mask, target) = FineTuneExamples.Collate(batch, padId, cfg.Task, device);
            var output = model.Run(ids, mask);
            var logits = cfg.Task == FineTuneTask.Token ? output.TokenLogits! : output.SequenceLogits!;
            yield return new MicroBatchLoss(Loss(cfg.Task, logits, target), (double)batch.Count / global.Count);
        }
    }

    private DevPoint EvaluateDev(DnaModel model, IReadOnlyList<FineTuneExample> dev, long step)
    {
        var (loss, probs) = FineTuneEvaluation.Run(model, dev, cfg.Task, cfg.EvalBatch, device);
        return new DevPoint(step, loss, FineTuneEvaluation.Score(dev, probs, cfg.Task));
    }

    private bool Better(DevPoint a, DevPoint b) => cfg.SelectBy switch
    {
        "dev-mcc" => a.Metrics.GetValueOrDefault("mcc") > b.Metrics.GetValueOrDefault("mcc"),
        "dev-auroc" => a.Metrics.GetValueOrDefault("auroc") > b.Metrics.GetValueOrDefault("auroc"),
        _ => a.Loss < b.Loss,
    };

    private static Dictionary<string, Tensor> Snapshot(nn.Module network, Dictionary<string, Tensor>? reuse)
    {
        using var _ = no_grad();
        var result = reuse ?? new Dictionary<string, Tensor>();
        foreach (var (name, p) in network.named_parameters())
        {
            if (result.TryGetValue(name, out var t)) t.copy_(p);
            else result[name] = p.detach().clone().DetachFromDisposeScope();
        }
        return result;
    }

    private static void Restore(nn.Module network, Dictionary<string, Tensor> weights)
    {
        using var _ = no_grad();
        foreach (var (name, p) in network.named_parameters()) p.copy_(weights[name]);
    }
}

/// <summary>
/// The per-step train lines of metrics.jsonl, kept with their losses on the device until <see cref="Flush"/> reads them
/// all at once (after checking the steps stayed finite); the lines written are the same as writing each step at once.
/// </summary>
internal sealed class TrainLines(OptimizerStepEngine engine, ICommunicator comm, MetricsWriter? metrics) : IDisposable
{
    private readonly List<(long Step, Tensor Loss, double Lr, int Epoch)> pending = [];

    /// <summary>The loss of the last step read (for progress lines).</summary>
    public double? LastLoss { get; private set; }

    public void Add(long step, Tensor loss, double lr, int epoch) => pending.Add((step, loss.DetachFromDisposeScope(), lr, epoch));

    /// <summary>Writes the pending lines up to the first non-finite step, then raises that failure if there was one.</summary>
    public void Flush()
    {
        if (pending.Count == 0) return;
        double[] losses;
        using (var all = stack(pending.Select(p => p.Loss).ToList())) losses = HostReads.Values(all);
        NumericalFailureException? failure = null;
        try
        {
            engine.ThrowIfDiverged("lower learning_rate, raise warmup_steps, or set max_grad_norm");
        }
        catch (NumericalFailureException e)
        {
            failure = e;
        }
        for (int i = 0; i < pending.Count && (failure is null || pending[i].Step < failure.Step); i++)
        {
            double loss = comm.WorldSize > 1 ? comm.AllReduceSum(losses[i]) : losses[i];
            LastLoss = loss;
            metrics?.Write(new JsonObject { ["step"] = pending[i].Step, ["kind"] = "train", ["loss"] = loss, ["lr"] = pending[i].Lr, ["epoch"] = pending[i].Epoch });
        }
        Dispose();
        if (failure is not null) throw failure;
    }

    public void Dispose()
    {
        foreach (var p in pending) p.Loss.Dispose();
        pending.Clear();
    }
}

/// <summary>The model and its LoRA adapters as one module, so parameter walks (master weights, snapshots) see both.</summary>
internal sealed class FineTuneNetwork : nn.Module
{
    private readonly DnaModel model;
    private readonly LoraAttachment? lora;

    public FineTuneNetwork(DnaModel model, LoraAttachment? lora) : base(nameof(FineTuneNetwork))
    {
        this.model = model;
        this.lora = lora;
        RegisterComponents();
    }
}

/// <summary>A seeded permutation per epoch; <see cref="Take"/> continues across epoch ends (HF's sampler reshuffles each epoch).</summary>
internal sealed class EpochOrder(int count, int seed)
{
    private int[] order = [];
    private int position;

    public int Epoch { get; private set; } = -1;

    public IEnumerable<int> Take(int n)
    {
        var result = new List<int>(n);
        while (result.Count < n)
        {
            if (position >= order.Length)
            {
                Epoch++;
                order = Enumerable.Range(0, count).ToArray();
                new Random(unchecked(seed * 1_000_003 + Epoch)).Shuffle(order); // stable across processes, unlike HashCode
                position = 0;
                // A global batch never spans two epochs: the last one of an epoch may be short, as in HF Trainer.
                if (result.Count > 0) break;
            }
            result.Add(order[position++]);
        }
        return result;
    }
}
