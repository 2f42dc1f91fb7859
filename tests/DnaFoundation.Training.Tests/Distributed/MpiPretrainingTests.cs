using System.Text.Json;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Distributed;

namespace DnaFoundation.Training.Tests.Distributed;

/// <summary>The pretraining loop (what <c>dnafm pretrain</c> runs) on two MPI ranks, on the tiny config and the shipped chr20 slice.</summary>
public class MpiPretrainingTests
{
    [SkippableFact]
    public void A_two_rank_run_stopped_by_one_rank_and_resumed_ends_bit_identical_to_an_uninterrupted_one()
    {
        MpiRun.MpirunOrSkip();
        using var straight = new TempDir("pt-straight");
        using var broken = new TempDir("pt-broken");

        var a = MpiRun.Ranks(2, "pretrain", straight.Path, LocalTransport.SharedMemory, "steps=4");
        Assert.True(a.ExitCode == 0, a.Output);
        Assert.Equal("completed 4", File.ReadAllText(straight.File("rank1.status")));

        // Only rank 1 is asked to stop after step 1: both ranks must agree, stop after the same step and checkpoint.
        var b1 = MpiRun.Ranks(2, "pretrain", broken.Path, LocalTransport.SharedMemory, "steps=4", "stop_rank=1", "stop_after=1");
        Assert.True(b1.ExitCode == 0, b1.Output);
        Assert.Equal("interrupted 1", File.ReadAllText(broken.File("rank0.status")));
        Assert.Equal("interrupted 1", File.ReadAllText(broken.File("rank1.status")));
        var step1 = Path.Combine(broken.Path, "checkpoints", "step-1");
        Assert.True(File.Exists(Path.Combine(step1, "rank-1.json")), "rank 1's loader and random streams are in the checkpoint");
        Assert.Equal(2, TrainerState.Read(Path.Combine(step1, TrainerState.FileName)).WorldSize);

        var b2 = MpiRun.Ranks(2, "pretrain", broken.Path, LocalTransport.SharedMemory, "steps=4", "resume=auto");
        Assert.True(b2.ExitCode == 0, b2.Output);
        Assert.Equal("completed 4", File.ReadAllText(broken.File("rank0.status")));

        Assert.Equal(TinyRun.FinalWeights(straight.Path), TinyRun.FinalWeights(broken.Path));
        Assert.Equal(
            TinyRun.Metrics(straight.Path, "train").Select(o => o["loss"]!.GetValue<double>()),
            TinyRun.Metrics(broken.Path, "train").Select(o => o["loss"]!.GetValue<double>()));
        // Only rank 0 writes the run's files.
        Assert.Equal("succeeded", JsonDocument.Parse(File.ReadAllText(broken.File("run.json"))).RootElement.GetProperty("status").GetString());
        Assert.Equal(4, TinyRun.Metrics(broken.Path, "train").Count);
    }

    [SkippableFact]
    public void A_two_rank_checkpoint_resumes_on_one_rank_at_the_same_step_and_data_position()
    {
        MpiRun.MpirunOrSkip();
        using var two = new TempDir("pt-two");
        using var one = new TempDir("pt-one");
        var run = MpiRun.Ranks(2, "pretrain", two.Path, LocalTransport.SharedMemory, "steps=2");
        Assert.True(run.ExitCode == 0, run.Output);
        var checkpoint = Path.Combine(two.Path, "checkpoints", "step-2");

        var resumed = MpiRun.Alone("pretrain", one.Path, "steps=4", $"resume={checkpoint}");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Equal("completed 4", File.ReadAllText(one.File("rank0.status")));
        var state = TrainerState.Read(Path.Combine(one.Path, "checkpoints", "step-4", TrainerState.FileName));
        Assert.Equal(1, state.WorldSize);
        Assert.Equal(4 * 16, state.SamplesSeen);
        // 2 steps x 16 windows were read by the two ranks (8 each); the single rank continues at window 32 and
        // reads 2 x 16 more: no window read twice, none skipped.
        Assert.Equal(64, state.RankState.Loader!["next"]!.GetValue<long>());
    }
}
