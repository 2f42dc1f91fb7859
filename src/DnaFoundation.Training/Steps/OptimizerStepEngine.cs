using System.Globalization;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Optimization;
using DnaFoundation.Training.Precision;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Steps;

/// <summary>One micro-batch's loss (a float32 scalar with its graph) and the weight it enters the step's gradient sum with.</summary>
public readonly record struct MicroBatchLoss(Tensor Loss, double Weight = 1.0);

/// <summary>
/// What an optimizer step leaves for its loop. The tensors are on the device, in the caller's dispose scope: read them
/// through <see cref="HostReads"/> when a log line needs them, not every step.
/// </summary>
/// <param name="LossSum">float64: Σ weight × micro-batch loss over this rank's micro-batches.</param>
/// <param name="GradientNorm">float32: the global gradient norm after the reduction, before clipping.</param>
/// <param name="LossScale">The fp16 loss scale this step's backward used (1 without a scaler).</param>
/// <param name="Skipped">The loss scaler skipped the update (fp16 overflow).</param>
public sealed record StepOutcome(Tensor LossSum, Tensor GradientNorm, double Lr, double LossScale, bool Skipped);

/// <summary>
/// The optimizer step both training loops take: learning rate from the schedule; each micro-batch's backward (times
/// the fp16 loss scale) with its gradients added into the float32 <see cref="GradientBucket"/>; one reduction across
/// ranks; the non-finite check; clipping; AdamW on the float32 master weights; the copy back into the model; zeroed
/// gradients; a heap trim every <see cref="NativeHeap.TrimEvery"/> steps. The loops only say what a micro-batch is.
/// <para>
/// Nothing is read on the host inside a step (<see cref="HostReads"/> counts it): the loss and the gradient norm stay
/// on the device, clipping is computed there, and without a loss scaler a non-finite loss or gradient is recorded
/// there (the first such step, with its numbers) and raised as a <see cref="NumericalFailureException"/> by
/// <see cref="ThrowIfDiverged"/>, which the loops call before anything that reads or writes the weights (log lines,
/// evaluations, checkpoints, the end). The exception: under fp16 the loss scaler must know before AdamW whether to
/// skip the update, so it reads one flag per step — TorchSharp's AdamW keeps its step count on the host and has no
/// found-inf input (no <c>_fused_adamw_</c> / <c>_amp_foreach_non_finite_check_and_unscale_</c> binding in 0.107).
/// </para>
/// </summary>
public sealed class OptimizerStepEngine : IDisposable
{
    private readonly MasterWeights master;
    private readonly OptimizerConfig config;
    private readonly LossScaler? scaler;
    private readonly string runKind, precision, outOfMemoryAdvice;
    private readonly int lossTerms;
    private readonly Device device;
    private Tensor? firstBadStep, badLoss, badNorm;

    /// <param name="totalSteps">The schedule's length.</param>
    /// <param name="runKind">How messages name the run ("training", "fine-tuning").</param>
    /// <param name="lossTerms">The loss a message reports is <see cref="StepOutcome.LossSum"/> / this (micro-batches averaged).</param>
    /// <param name="outOfMemoryAdvice">What a micro-batch that does not fit in memory tells the user.</param>
    public OptimizerStepEngine(MasterWeights master, OptimizerConfig optimizer, long totalSteps, ICommunicator communicator, LossScaler? scaler,
        string runKind, string precision, int lossTerms = 1, string outOfMemoryAdvice = "lower the micro-batch size")
    {
        this.master = master;
        config = optimizer;
        this.scaler = scaler;
        this.runKind = runKind;
        this.precision = precision;
        this.lossTerms = lossTerms;
        this.outOfMemoryAdvice = outOfMemoryAdvice;
        device = master.Pairs.Count > 0 ? master.Pairs[0].Master.device : CPU;
        Schedule = new LrSchedule(optimizer.Lr, optimizer.Schedule, totalSteps);
        Optimizer = OptimizerFactory.Create(master.Named, optimizer);
        Bucket = new GradientBucket(master.Pairs, communicator);
    }

    public AdamW Optimizer { get; }

    public GradientBucket Bucket { get; }

    public LrSchedule Schedule { get; }

    /// <summary>The learning rate of the last step taken.</summary>
    public double Lr { get; private set; }

    /// <summary>
    /// Optimizer step <paramref name="step"/> (0-based). <paramref name="microBatches"/> is enumerated once: each
    /// loss is back-propagated as it is yielded, so a micro-batch's activations are freed before the next is built.
    /// </summary>
    /// <param name="divisor">What the summed gradients are divided by (ranks × micro-batches for per-micro-batch means; 1 when the weights already average).</param>
    /// <param name="afterBackward">Test hook: after the last backward, before the reduction.</param>
    public StepOutcome Step(long step, IEnumerable<MicroBatchLoss> microBatches, double divisor, Action<long, GradientBucket>? afterBackward = null)
    {
        Lr = Schedule.Apply(Optimizer, step);
        double scale = scaler?.Scale ?? 1.0;
        var lossSum = zeros([], ScalarType.Float64, device);
        using (var e = microBatches.GetEnumerator())
            while (true)
            {
                MicroBatchLoss m;
                try
                {
                    if (!e.MoveNext()) break;
                    m = e.Current;
                    double factor = m.Weight * scale;
                    (factor == 1.0 ? m.Loss : m.Loss * factor).backward();
                }
                catch (Exception x) when (IsOutOfMemory(x))
                {
                    throw new TrainingStoppedException($"out of memory in a micro-batch: {outOfMemoryAdvice}");
                }
                Bucket.AccumulateFromModel();
                using var loss = m.Loss.detach().to(ScalarType.Float64);
                lossSum.add_(m.Weight == 1.0 ? loss : loss * m.Weight);
            }
        afterBackward?.Invoke(step, Bucket);
        var norm = Bucket.Reduce(divisor * scale);
        bool applied = true;
        if (scaler is null) RecordNonFinite(step, lossSum, norm);
        else applied = scaler.Update(HostReads.Flag(GradientBucket.Finite(norm)));
        if (applied)
        {
            Bucket.Clip(norm, config.MaxGradNorm);
            Optimizer.step();
            master.PushToModel();
        }
        Bucket.Zero();
        if ((step + 1) % NativeHeap.TrimEvery == 0) NativeHeap.Trim();
        return new StepOutcome(lossSum, norm, Lr, scale, !applied);
    }

    /// <summary>Keeps, on the device, the first step whose loss or gradient norm was not finite and its two numbers.</summary>
    private void RecordNonFinite(long step, Tensor lossSum, Tensor norm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (firstBadStep is null)
        {
            firstBadStep = full([], -1L, ScalarType.Int64, device).DetachFromDisposeScope();
            badLoss = zeros([], ScalarType.Float64, device).DetachFromDisposeScope();
            badNorm = zeros([], ScalarType.Float64, device).DetachFromDisposeScope();
        }
        // bitwise, not logical, ops on the bool flags: the same answers, and kernels on every device incl. meta.
        var newly = GradientBucket.Finite(lossSum).bitwise_and(GradientBucket.Finite(norm)).bitwise_not().bitwise_and(firstBadStep.lt(0));
        firstBadStep.masked_fill_(newly, step + 1);
        badLoss!.masked_scatter_(newly, lossSum);
        badNorm!.masked_scatter_(newly, norm.to(ScalarType.Float64));
    }

    /// <summary>
    /// Raises <see cref="NumericalFailureException"/> when a step since the start went non-finite (one host read).
    /// Call before logging, evaluating or saving: the weights after such a step are not to be kept.
    /// </summary>
    /// <param name="advice">What to do about it (the last good checkpoint, settings to change).</param>
    public void ThrowIfDiverged(string advice)
    {
        if (firstBadStep is null) return;
        using var scope = NewDisposeScope();
        var v = HostReads.Values(stack([firstBadStep.to(ScalarType.Float64), badLoss!, badNorm!]));
        if (v[0] < 0) return;
        long step = (long)v[0];
        double loss = v[1] / lossTerms, norm = v[2];
        string what = (double.IsFinite(loss), double.IsFinite(norm)) switch
        {
            (false, false) => "the loss and the gradients",
            (false, true) => "the loss",
            _ => "the gradients",
        };
        throw new NumericalFailureException(
            $"{runKind} diverged at step {step}: {what} became non-finite (loss {loss.ToString(CultureInfo.InvariantCulture)}, gradient norm {norm.ToString(CultureInfo.InvariantCulture)}, {precision}); {advice}",
            step, loss, norm);
    }

    private static bool IsOutOfMemory(Exception e) =>
        e is OutOfMemoryException
        || e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("can't allocate memory", StringComparison.OrdinalIgnoreCase);

    public void Dispose()
    {
        Bucket.Dispose();
        Optimizer.Dispose();
        firstBadStep?.Dispose();
        badLoss?.Dispose();
        badNorm?.Dispose();
    }
}
