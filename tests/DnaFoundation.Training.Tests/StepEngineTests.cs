using DnaFoundation.TestSupport;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Optimization;
using DnaFoundation.Training.Steps;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// The optimizer-step engine: host reads only where a log line needs them, clipping on the device with the host's
/// arithmetic, and a non-finite step raised as its own failure kind naming the step.
/// </summary>
[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class StepEngineTests
{
    /// <summary>Host reads between consecutive AfterStep calls: the work after step k-1 plus step k itself.</summary>
    private static Dictionary<long, long> ReadsPerStep(string dir, TrainerConfig cfg)
    {
        var at = new Dictionary<long, long>();
        TinyRun.Run(dir, cfg, new TrainerHooks { AfterStep = (s, _) => at[s] = HostReads.Count });
        return at.Keys.Where(s => at.ContainsKey(s - 1)).ToDictionary(s => s, s => at[s] - at[s - 1]);
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void A_pretraining_step_reads_nothing_on_the_host_except_after_a_log_step(string precision)
    {
        using var dir = new TempDir("reads");
        var reads = ReadsPerStep(dir.Path, TinyRun.Config("max_steps=9", "log_every=4", "checkpoint_every=100", $"precision={precision}"));
        // Steps 2-4 and 6-8 follow a step with no log line: zero reads. Steps 5 and 9 follow step 4's log line,
        // which read the window once and the divergence record once.
        Assert.Equal(new long[] { 0, 0, 0, 2, 0, 0, 0, 2 }, Enumerable.Range(2, 8).Select(s => reads[s]));
    }

    [Fact]
    public void Under_fp16_the_loss_scaler_reads_one_flag_per_step()
    {
        using var dir = new TempDir("reads16");
        var reads = ReadsPerStep(dir.Path, TinyRun.Config("max_steps=6", "log_every=3", "checkpoint_every=100", "precision=fp16"));
        // The skip decision precedes AdamW (TorchSharp's AdamW keeps its step count on the host): 1 per step, plus
        // the window's one read after the log step (no divergence record: the scaler skips non-finite steps).
        Assert.Equal(new long[] { 1, 1, 2, 1, 1 }, Enumerable.Range(2, 5).Select(s => reads[s]));
    }

    [Fact]
    public void Device_clipping_is_bit_identical_to_clipping_with_the_norm_read_on_the_host()
    {
        manual_seed(7);
        foreach (double maxNorm in new[] { 0.3, 1.0, 1e3 })
        {
            using var p = new Parameter(randn(1000) * 3);
            using var bucket = new GradientBucket([("w", p, p)], SingleProcessCommunicator.Instance);
            using (no_grad()) bucket.Flat.copy_(randn(1000) * 3);
            using var expected = bucket.Flat.clone();
            using var norm = bucket.Reduce(3.0);
            // The host formula the loops used before: coef = maxNorm / (norm + 1e-6) in double, applied when < 1.
            using (no_grad())
            {
                expected.div_(3.0);
                double n = norm.item<float>(), coef = maxNorm / (n + 1e-6);
                if (coef < 1.0) expected.mul_(coef);
            }
            bucket.Clip(norm, maxNorm);
            Assert.True(expected.equal(bucket.Flat).all().item<bool>(), $"max_grad_norm {maxNorm}");
        }
    }

    [Fact]
    public void Clipping_leaves_non_finite_gradients_alone()
    {
        using var p = new Parameter(ones(4));
        using var bucket = new GradientBucket([("w", p, p)], SingleProcessCommunicator.Instance);
        using (no_grad()) bucket.Flat.copy_(tensor(new[] { 1f, float.PositiveInfinity, 2f, 3f }));
        using var norm = bucket.Reduce(1.0);
        bucket.Clip(norm, 1.0);
        Assert.Equal(new[] { 1f, float.PositiveInfinity, 2f, 3f }, bucket.Flat.data<float>().ToArray());
    }

    [Fact]
    public void A_nan_is_raised_at_the_next_log_line_naming_the_first_non_finite_step()
    {
        using var dir = new TempDir("nan-late");
        var cfg = TinyRun.Config("max_steps=12", "log_every=4", "checkpoint_every=4");
        var e = Assert.Throws<NumericalFailureException>(() => TinyRun.Run(dir.Path, cfg,
            new TrainerHooks { AfterBackward = (step, bucket) => { if (step == 5) bucket.Flat[3] = tensor(float.NaN); } }));
        Assert.Equal(6, e.Step);                     // 0-based step 5 is the sixth
        Assert.Contains("training diverged at step 6: the gradients became non-finite", e.Message);
        Assert.Contains("step-4", e.Message);        // the last good checkpoint; step-8 was never written
        Assert.True(double.IsNaN(e.GradientNorm));
        Assert.True(double.IsFinite(e.Loss));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "checkpoints", "step-8")));
        Assert.Single(TinyRun.Metrics(dir.Path, "train")); // the step-4 line; none with NaN
    }
}
