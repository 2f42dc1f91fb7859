using System.Text.Json;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Checkpoints;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests;

[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class TrainerTests
{
    [Theory]
    [Trait(TestDevice.Trait, TestDevice.Capable)]
    [InlineData("fp32")]
    [InlineData("bf16")]
    public void Interrupted_then_resumed_run_ends_bit_identical_to_an_uninterrupted_one(string precision)
    {
        using var straight = new TempDir("straight");
        using var broken = new TempDir("broken");
        var cfg = TinyRun.Config("max_steps=6", "checkpoint_every=3", $"precision={precision}");
        TinyRun.Run(straight.Path, cfg);

        // Ctrl-C after step 3: the trainer saves a checkpoint and stops; then --resume auto finishes the run.
        using var cts = new CancellationTokenSource();
        var first = TinyRun.Run(broken.Path, cfg, new TrainerHooks { AfterStep = (s, _) => { if (s == 3) cts.Cancel(); } }, cancel: cts.Token);
        Assert.Equal(TrainingStatus.Interrupted, first.Status);
        Assert.Equal(3, first.Step);
        Assert.True(File.Exists(Path.Combine(broken.Path, "checkpoints", "step-3", TrainerState.FileName)));
        Assert.Equal("interrupted", JsonDocument.Parse(File.ReadAllText(broken.File("run.json"))).RootElement.GetProperty("status").GetString());
        foreach (var f in new[] { "model.safetensors", "optimizer.bin", TrainerState.FileName })
            Assert.Equal(File.ReadAllBytes(Path.Combine(straight.Path, "checkpoints", "step-3", f)), File.ReadAllBytes(Path.Combine(broken.Path, "checkpoints", "step-3", f)));
        var second = TinyRun.Run(broken.Path, cfg, resume: "auto");
        Assert.Equal(TrainingStatus.Completed, second.Status);

        Assert.Equal(TinyRun.FinalWeights(straight.Path), TinyRun.FinalWeights(broken.Path));
        var a = TinyRun.Metrics(straight.Path, "train").Select(o => o["loss"]!.GetValue<double>()).ToList();
        var b = TinyRun.Metrics(broken.Path, "train").Select(o => o["loss"]!.GetValue<double>()).ToList();
        Assert.Equal(6, a.Count);
        Assert.Equal(a, b);                                 // one uninterrupted history, identical losses
    }

    /// <summary>
    /// The CUDA scheme for the dropout stream (reseeded from seed, rank and step, because TorchSharp cannot read the
    /// CUDA generator's state), run on the CPU: it changes the draws (the tiny model has dropout 0.1), the checkpoint
    /// says so, and a resumed run is bit-identical to an uninterrupted one.
    /// </summary>
    [Fact]
    public void Per_step_reseeding_as_on_cuda_changes_the_draws_and_resumes_bit_identical()
    {
        using var plain = new TempDir("plain");
        using var straight = new TempDir("straight");
        using var broken = new TempDir("broken");
        var cfg = TinyRun.Config("max_steps=4", "checkpoint_every=2");
        var reseed = new TrainerHooks { ReseedPerStep = true };
        TinyRun.Run(plain.Path, cfg);
        TinyRun.Run(straight.Path, cfg, reseed);
        Assert.NotEqual(TinyRun.FinalWeights(plain.Path), TinyRun.FinalWeights(straight.Path));

        using var cts = new CancellationTokenSource();
        var first = TinyRun.Run(broken.Path, cfg, reseed with { AfterStep = (s, _) => { if (s == 2) cts.Cancel(); } }, cancel: cts.Token);
        Assert.Equal(TrainingStatus.Interrupted, first.Status);
        var state = TrainerState.Read(Path.Combine(broken.Path, "checkpoints", "step-2", TrainerState.FileName));
        Assert.StartsWith("cpu: reseeded per step", state.RankState.DeviceRng);
        Assert.Equal(TrainingStatus.Completed, TinyRun.Run(broken.Path, cfg, reseed, resume: "auto").Status);
        Assert.Equal(TinyRun.FinalWeights(straight.Path), TinyRun.FinalWeights(broken.Path));
    }

    [Fact]
    public void A_run_writes_checkpoints_a_loadable_final_model_metrics_tensorboard_and_a_plot()
    {
        using var dir = new TempDir("run");
        var result = TinyRun.Run(dir.Path, TinyRun.Config("max_steps=4", "checkpoint_every=2", "keep_last=1", "eval_every=2"));
        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.Equal(4 * 16 * 64, result.TokensSeen);
        var ckpt = Path.Combine(dir.Path, "checkpoints", "step-4");
        foreach (var f in new[] { "config.json", "model.safetensors", "vocab.txt", Trainer.OptimizerFile, TrainerState.FileName, Trainer.ConfigFile })
            Assert.True(File.Exists(Path.Combine(ckpt, f)), f);
        var state = TrainerState.Read(Path.Combine(ckpt, TrainerState.FileName));
        Assert.Equal(4, state.Step);
        Assert.NotNull(state.ValidationLoss);
        Assert.NotEmpty(state.RankState.TorchCpuRng);
        Assert.Equal("genome-windows", state.RankState.Loader!["kind"]!.GetValue<string>());
        // step-2 is pruned unless it is the best by validation loss; step-4 is the last.
        Assert.True(Directory.GetDirectories(Path.Combine(dir.Path, "checkpoints")).Length <= 2);

        var (model, report) = ModelDirectory.Load(Path.Combine(dir.Path, Trainer.FinalDirectory));
        using (model)
        {
            Assert.Equal(4101, model.Config.VocabSize);
            Assert.Empty(report.Initialized);
        }
        Assert.True(File.Exists(Path.Combine(dir.Path, Trainer.FinalDirectory, "vocab.txt")));
        var evals = TinyRun.Metrics(dir.Path, "eval");
        Assert.Equal(new long[] { 2, 4 }, evals.Select(e => e["step"]!.GetValue<long>()));
        Assert.All(evals, e => Assert.InRange(e["unigram_loss"]!.GetValue<double>(), 5.0, 8.5));
        var train = TinyRun.Metrics(dir.Path, "train");
        Assert.All(train, t => Assert.True(t["grad_norm"]!.GetValue<double>() > 0));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir.Path, "tensorboard"), "events.out.tfevents.*"));
        Assert.True(new FileInfo(dir.File("loss.png")).Length > 1000);
    }

    [Fact]
    public void Loss_scaler_skips_the_step_and_backs_off_on_an_injected_fp16_overflow()
    {
        using var dir = new TempDir("fp16");
        var snapshots = new Dictionary<long, Tensor>();
        var hooks = new TrainerHooks
        {
            AfterBackward = (step, bucket) => { if (step == 2) bucket.Flat[0] = tensor(float.PositiveInfinity); },
            AfterStep = (step, trainer) => snapshots[step] = Flat(trainer),
        };
        var cfg = TinyRun.Config("max_steps=4", "checkpoint_every=100", "precision=fp16", "loss_scaler.initial_scale=1024");
        TinyRun.Run(dir.Path, cfg, hooks);

        var lines = TinyRun.Metrics(dir.Path, "train");
        Assert.Equal(new[] { 1024.0, 1024.0, 1024.0, 512.0 }, lines.Select(l => l["loss_scale"]!.GetValue<double>()));
        Assert.Equal(new long[] { 0, 0, 1, 0 }, lines.Select(l => l["skipped_steps"]!.GetValue<long>()));
        Assert.True(snapshots[3].equal(snapshots[2]).all().item<bool>());    // the overflowing step changed nothing
        Assert.False(snapshots[4].equal(snapshots[3]).all().item<bool>());   // the next one trains again
        Assert.True(double.IsFinite(lines[^1]["loss"]!.GetValue<double>()));
    }

    [Fact]
    public void A_nan_in_fp32_stops_the_run_with_a_message_naming_the_last_good_checkpoint()
    {
        using var dir = new TempDir("nan");
        var cfg = TinyRun.Config("max_steps=8", "checkpoint_every=2");
        var e = Assert.Throws<Steps.NumericalFailureException>(() => TinyRun.Run(dir.Path, cfg,
            new TrainerHooks { AfterBackward = (step, bucket) => { if (step == 4) bucket.Flat[3] = tensor(float.NaN); } }));
        Assert.Contains("diverged at step 5", e.Message);
        Assert.Contains("step-4", e.Message);
        Assert.True(File.Exists(Path.Combine(dir.Path, "checkpoints", "step-4", TrainerState.FileName)));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, Trainer.FinalDirectory)));
        Assert.Equal("failed", JsonDocument.Parse(File.ReadAllText(dir.File("run.json"))).RootElement.GetProperty("status").GetString());
    }

    private static Tensor Flat(Trainer t)
    {
        using var _ = no_grad();
        // Called inside the step's dispose scope: keep the snapshot out of it.
        return cat(t.Master.Pairs.Select(p => p.Master.detach().flatten()).ToList()).clone().DetachFromDisposeScope();
    }
}
