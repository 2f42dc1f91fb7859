using DnaFoundation.Training.Optimization;
using DnaFoundation.Training.Precision;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests;

[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class ScheduleAndScalerTests
{
    [Fact]
    public void Linear_schedule_warms_up_then_decays_to_the_floor()
    {
        var s = new LrSchedule(1e-3, new ScheduleConfig { Kind = ScheduleKind.Linear, WarmupSteps = 10, MinLrRatio = 0.1 }, totalSteps: 110);
        Assert.Equal(1e-4, s.LearningRate(0), 12);           // (0+1)/10
        Assert.Equal(1e-3, s.LearningRate(9), 12);           // end of warm-up: the peak
        Assert.Equal(1e-3, s.LearningRate(10), 12);          // decay starts at the peak
        Assert.Equal(0.1e-3 + 0.9e-3 * 0.5, s.LearningRate(60), 12);
        Assert.Equal(1e-4, s.LearningRate(110), 12);         // floor
        Assert.Equal(1e-4, s.LearningRate(500), 12);         // stays at the floor
    }

    [Fact]
    public void Cosine_and_constant_schedules_follow_their_shapes()
    {
        var cos = new LrSchedule(2.0, new ScheduleConfig { Kind = ScheduleKind.Cosine, WarmupSteps = 0 }, totalSteps: 100);
        Assert.Equal(2.0, cos.LearningRate(0), 12);
        Assert.Equal(1.0, cos.LearningRate(50), 12);
        Assert.Equal(0.0, cos.LearningRate(100), 12);
        var constant = new LrSchedule(2.0, new ScheduleConfig { Kind = ScheduleKind.Constant, WarmupRatio = 0.1 }, totalSteps: 100);
        Assert.Equal(10, constant.WarmupSteps);
        Assert.Equal(0.2, constant.LearningRate(0), 12);
        Assert.Equal(2.0, constant.LearningRate(99), 12);
    }

    [Fact]
    public void Inverse_sqrt_schedule_is_LOGOs_noam_schedule_and_nt_warmup_starts_at_half_the_peak()
    {
        // LOGO (bgi/common/callbacks.py LRSchedulerPerStep): lr(n) = d^-0.5 · min(n^-0.5, n · W^-1.5) for 1-based step
        // n, d = 256, W = 2500: a peak of 256^-0.5 · 2500^-0.5 = 1.25e-3 at n = W.
        static double Noam(long n) => Math.Pow(256, -0.5) * Math.Min(Math.Pow(n, -0.5), n * Math.Pow(2500, -1.5));
        var s = new LrSchedule(1.25e-3, new ScheduleConfig { Kind = ScheduleKind.InverseSqrt, WarmupSteps = 2500 }, totalSteps: 600_000);
        foreach (long step in new long[] { 0, 1, 1249, 2498, 2499, 2500, 9999, 100_000, 599_999 })
            Assert.Equal(Noam(step + 1), s.LearningRate(step), 15);
        // NT: linear from 5e-5 to 1e-4 over 16k steps, then square-root decay.
        var nt = new LrSchedule(1e-4, new ScheduleConfig { Kind = ScheduleKind.InverseSqrt, WarmupSteps = 16_000, WarmupStartRatio = 0.5 }, totalSteps: 300_000);
        Assert.Equal(5e-5 + 5e-5 / 16_000, nt.LearningRate(0), 15);
        Assert.Equal(1e-4, nt.LearningRate(15_999), 15);
        Assert.Equal(1e-4 * Math.Sqrt(16_000.0 / 64_000), nt.LearningRate(63_999), 15);   // 4× the warm-up: half the peak
    }

    [Fact]
    public void Schedule_matches_a_LambdaLR_stepped_n_times_so_resume_rebuilds_it_from_the_step()
    {
        // The published shape through TorchSharp's own LambdaLR, against ours evaluated directly at step n.
        var p = new TorchSharp.Modules.Parameter(zeros(1));
        var opt = optim.SGD([p], 1e-3);
        var s = new LrSchedule(1e-3, new ScheduleConfig { Kind = ScheduleKind.Cosine, WarmupSteps = 5, MinLrRatio = 0.02 }, totalSteps: 40);
        var lambda = optim.lr_scheduler.LambdaLR(opt, step => s.Factor(step));
        for (int n = 0; n < 40; n++)
        {
            Assert.Equal(s.LearningRate(n), opt.ParamGroups.First().LearningRate, 12);
            opt.step();
            lambda.step();
        }
    }

    [Fact]
    public void Loss_scaler_skips_and_backs_off_on_overflow_and_grows_after_the_interval()
    {
        var scaler = new LossScaler(new LossScalerConfig { InitialScale = 1024, GrowthInterval = 3 });
        Assert.False(scaler.Update(gradientsFinite: false));
        Assert.Equal(512, scaler.Scale);
        Assert.Equal(1, scaler.SkippedSteps);
        Assert.True(scaler.Update(true));
        Assert.True(scaler.Update(true));
        Assert.Equal(512, scaler.Scale);
        Assert.True(scaler.Update(true));
        Assert.Equal(1024, scaler.Scale);                   // grew after 3 good steps
        Assert.False(scaler.Update(false));
        Assert.Equal(512, scaler.Scale);
        var restored = new LossScaler(new LossScalerConfig());
        restored.SetState(scaler.GetState());
        Assert.Equal(scaler.GetState(), restored.GetState());
    }

    [Fact]
    public void Weight_decay_skips_biases_and_normalisation_weights()
    {
        var model = nn.Sequential(("dense", nn.Linear(4, 4)), ("LayerNorm", nn.LayerNorm(4)));
        var named = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        Assert.True(OptimizerFactory.DecaysWeight("dense.weight", named[0].parameter));
        Assert.False(OptimizerFactory.DecaysWeight("dense.bias", named[1].parameter));
        Assert.False(OptimizerFactory.DecaysWeight("LayerNorm.weight", named[2].parameter));
        var opt = OptimizerFactory.Create(named, new OptimizerConfig { WeightDecay = 0.5 });
        var groups = opt.ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>().ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(0.5, ((TorchSharp.Modules.AdamW.Options)groups[0].Options).weight_decay);
        Assert.Single(groups[0].Parameters);
        Assert.Equal(0.0, ((TorchSharp.Modules.AdamW.Options)groups[1].Options).weight_decay);
        Assert.Equal(3, groups[1].Parameters.Count());
    }
}
