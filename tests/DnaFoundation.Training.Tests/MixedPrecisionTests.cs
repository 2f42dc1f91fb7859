using DnaFoundation.TestSupport;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// bf16 and fp16 runs against the fp32 run of the same recipe, seed and batches: 200 steps on the real chr20 sample
/// the repository ships (single-nucleotide tokens, the tiny architecture narrowed to 32 hidden so three runs fit in
/// a test; the loss falls from 2.49 to ≈1.35, below the unigram baseline ≈1.41).
/// Stated tolerances (docs/training.md), over the last 50 steps:
/// <list type="bullet">
/// <item>bf16: mean |loss − fp32 loss| per step ≤ 0.01, and mean loss within 0.01 of fp32's;</item>
/// <item>fp16 (dynamic loss scaling, growth every 20 steps so it grows, overflows, skips and backs off): ≤ 0.02 and 0.02.</item>
/// </list>
/// Measured when written (2-core EPYC): bf16 0.0004 / 0.0001, fp16 0.0027 / 0.0022 (7 skipped steps), while another
/// seed gives 0.055 per step: the per-step bound tells "the same trajectory" from "a similar run".
/// </summary>
public sealed class MixedPrecisionRuns : IDisposable
{
    private readonly TempDir root = new("precision");
    private readonly Dictionary<string, (List<double> Train, List<System.Text.Json.Nodes.JsonObject> Lines, double Eval)> runs = [];

    public static readonly string[] Recipe =
    [
        "tokenizer=char", "masking.strategy=token", "model_overrides=[\"hidden_size=32\",\"intermediate_size=64\",\"num_attention_heads=2\"]",
        "max_length=32", "data.window_bp=30", "micro_batch_size=8", "global_batch_size=8", "max_steps=200", "checkpoint_every=1000",
        "eval_batches=4", "loss_scaler.growth_interval=20",
    ];

    public (List<double> Train, List<System.Text.Json.Nodes.JsonObject> Lines, double Eval) Get(string precision, long seed = 42)
    {
        var key = $"{precision}-{seed}";
        lock (runs)
        {
            if (runs.TryGetValue(key, out var r)) return r;
            var dir = Path.Combine(root.Path, key);
            var result = TinyRun.Run(dir, TinyRun.Config([.. Recipe, $"precision={precision}", $"seed={seed}"]));
            Assert.Equal(TrainingStatus.Completed, result.Status);
            var lines = TinyRun.Metrics(dir, "train");
            return runs[key] = (lines.Select(l => l["loss"]!.GetValue<double>()).ToList(), lines, result.LastEval!.Loss);
        }
    }

    public void Dispose() => root.Dispose();
}

[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class MixedPrecisionTests(MixedPrecisionRuns runs, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<MixedPrecisionRuns>
{
    private const int Last = 50;

    private static double MeanAbsDiff(List<double> a, List<double> b) => a.TakeLast(Last).Zip(b.TakeLast(Last), (x, y) => Math.Abs(x - y)).Average();

    [Fact]
    public void The_fp32_curve_falls_and_another_seed_departs_from_it_by_more_than_the_tolerances()
    {
        var fp32 = runs.Get("fp32");
        Assert.Equal(200, fp32.Train.Count);
        Assert.True(fp32.Train.Take(10).Average() - fp32.Train.TakeLast(Last).Average() > 0.5, "the loss must fall clearly, or tracking it means little");
        var other = runs.Get("fp32", seed: 43);
        output.WriteLine($"fp32 seed 42 vs 43: per-step {MeanAbsDiff(fp32.Train, other.Train):F4}, level {Math.Abs(fp32.Train.TakeLast(Last).Average() - other.Train.TakeLast(Last).Average()):F4}");
        Assert.True(MeanAbsDiff(fp32.Train, other.Train) > 2 * 0.02, $"another seed differs per step by only {MeanAbsDiff(fp32.Train, other.Train):F4}");
    }

    [Fact]
    public void Bf16_tracks_the_fp32_loss_curve_within_the_stated_tolerance()
    {
        var fp32 = runs.Get("fp32");
        var bf16 = runs.Get("bf16");
        Assert.All(bf16.Train, l => Assert.True(double.IsFinite(l)));
        output.WriteLine($"bf16: per-step {MeanAbsDiff(fp32.Train, bf16.Train):F4}, level {Math.Abs(fp32.Train.TakeLast(Last).Average() - bf16.Train.TakeLast(Last).Average()):F4}, eval {Math.Abs(fp32.Eval - bf16.Eval):F4}");
        Assert.InRange(MeanAbsDiff(fp32.Train, bf16.Train), 0, 0.01);
        Assert.InRange(Math.Abs(fp32.Train.TakeLast(Last).Average() - bf16.Train.TakeLast(Last).Average()), 0, 0.01);
        Assert.InRange(Math.Abs(fp32.Eval - bf16.Eval), 0, 0.01);
        Assert.NotEqual(fp32.Train, bf16.Train);   // it really ran in bfloat16
    }

    [Fact]
    public void Fp16_with_dynamic_loss_scaling_tracks_fp32_and_the_scaler_grows_skips_and_backs_off()
    {
        var fp32 = runs.Get("fp32");
        var fp16 = runs.Get("fp16");
        Assert.All(fp16.Train, l => Assert.True(double.IsFinite(l)));
        output.WriteLine($"fp16: per-step {MeanAbsDiff(fp32.Train, fp16.Train):F4}, level {Math.Abs(fp32.Train.TakeLast(Last).Average() - fp16.Train.TakeLast(Last).Average()):F4}, eval {Math.Abs(fp32.Eval - fp16.Eval):F4}");
        Assert.InRange(MeanAbsDiff(fp32.Train, fp16.Train), 0, 0.02);
        Assert.InRange(Math.Abs(fp32.Train.TakeLast(Last).Average() - fp16.Train.TakeLast(Last).Average()), 0, 0.02);
        Assert.InRange(Math.Abs(fp32.Eval - fp16.Eval), 0, 0.02);

        var scales = fp16.Lines.Select(l => l["loss_scale"]!.GetValue<double>()).ToList();
        long skipped = fp16.Lines.Sum(l => l["skipped_steps"]!.GetValue<long>());
        Assert.Equal(65536, scales[0]);
        Assert.True(scales.Max() > 65536, "the scale never grew");
        Assert.True(skipped > 0 && skipped < 20, $"{skipped} overflowing steps skipped");
        // Every skip halves the scale: after a skipped step the next line's scale is lower.
        for (int i = 0; i + 1 < scales.Count; i++)
            if (fp16.Lines[i]["skipped_steps"]!.GetValue<long>() > 0) Assert.Equal(scales[i] / 2, scales[i + 1]);
    }
}
