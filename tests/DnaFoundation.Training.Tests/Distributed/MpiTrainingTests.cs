using DnaFoundation.TestSupport;
using DnaFoundation.Training.Distributed;

namespace DnaFoundation.Training.Tests.Distributed;

/// <summary>Data-parallel training on two real MPI ranks (the worker is this assembly, see Worker/).</summary>
public class MpiTrainingTests
{
    [SkippableFact]
    public void Two_ranks_end_bitwise_identical_and_equal_to_one_process_accumulating_their_micro_batches()
    {
        MpiRun.MpirunOrSkip();
        using var two = new TempDir("dp2");
        using var one = new TempDir("dp1");

        var run = MpiRun.Ranks(2, "train", two.Path, LocalTransport.SharedMemory, "steps=6", "accumulation=1");
        Assert.True(run.ExitCode == 0, run.Output);
        var single = MpiRun.Alone("train", one.Path, "steps=6", "accumulation=2");
        Assert.True(single.ExitCode == 0, single.Output);

        var rank0 = File.ReadAllBytes(Path.Combine(two.Path, "rank0.weights"));
        var rank1 = File.ReadAllBytes(Path.Combine(two.Path, "rank1.weights"));
        var reference = File.ReadAllBytes(Path.Combine(one.Path, "rank0.weights"));
        Assert.Equal(4 * (8 * 16 + 16 + 16 * 3 + 3), reference.Length);
        Assert.Equal(rank0, rank1);
        Assert.Equal(reference, rank0);
        // The loss logged by rank 0 (mean over ranks) is the one-process loss, to the last bit.
        Assert.Equal(File.ReadAllLines(Path.Combine(one.Path, "losses.txt")), File.ReadAllLines(Path.Combine(two.Path, "losses.txt")));
    }

    [SkippableFact]
    public void Two_ranks_accumulating_two_micro_batches_each_match_one_process_with_the_whole_global_batch()
    {
        MpiRun.MpirunOrSkip();
        using var two = new TempDir("dp2a");
        using var one = new TempDir("dp1a");

        var run = MpiRun.Ranks(2, "train", two.Path, LocalTransport.Tcp, "steps=4", "accumulation=2");
        Assert.True(run.ExitCode == 0, run.Output);
        var single = MpiRun.Alone("train", one.Path, "steps=4", "accumulation=4");
        Assert.True(single.ExitCode == 0, single.Output);

        Assert.Equal(File.ReadAllBytes(Path.Combine(two.Path, "rank0.weights")), File.ReadAllBytes(Path.Combine(two.Path, "rank1.weights")));
        // Four gradients summed in another order ((g0+g1)+(g2+g3) vs ((g0+g1)+g2)+g3): equal up to rounding.
        var a = Floats(Path.Combine(two.Path, "rank0.weights"));
        var b = Floats(Path.Combine(one.Path, "rank0.weights"));
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5f * Math.Max(1f, Math.Abs(b[i])), $"weight {i}: {a[i]} vs {b[i]}");
    }

    [SkippableTheory]
    [InlineData(LocalTransport.SharedMemory)]
    [InlineData(LocalTransport.Tcp)]
    public void Every_collective_is_exact_across_ranks_including_chunked_and_staged_buffers(LocalTransport transport)
    {
        MpiRun.MpirunOrSkip();
        using var dir = new TempDir("coll");
        var run = MpiRun.Ranks(2, "collectives", dir.Path, transport, "chunk=7");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("ok 2", File.ReadAllText(Path.Combine(dir.Path, "rank0.ok")));
        Assert.Equal("ok 2", File.ReadAllText(Path.Combine(dir.Path, "rank1.ok")));
    }

    [SkippableFact]
    public void Diverged_weights_stop_every_rank_with_an_error_naming_the_step_and_the_rank()
    {
        MpiRun.MpirunOrSkip();
        using var dir = new TempDir("diverge");
        var run = MpiRun.Ranks(2, "diverge", dir.Path);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("model weights differ across ranks at step 10: rank(s) 1 differ from rank 0", run.Output);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.unexpected"));
    }

    [SkippableFact]
    public void A_rank_that_stops_responding_makes_the_others_exit_with_a_timeout_message()
    {
        MpiRun.MpirunOrSkip();
        using var dir = new TempDir("hang");
        var run = MpiRun.Ranks(2, "hang", dir.Path, LocalTransport.SharedMemory, "timeout=3");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("error (rank 0 of 2, aborting all ranks): MPI barrier did not complete within 3 s", run.Output);
    }

    [SkippableFact]
    public void A_rank_that_fails_ends_the_whole_job_with_its_message()
    {
        MpiRun.MpirunOrSkip();
        using var dir = new TempDir("fail");
        var run = MpiRun.Ranks(2, "fail", dir.Path, LocalTransport.SharedMemory, "timeout=600");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("error (rank 1 of 2, aborting all ranks): InvalidOperationException: simulated failure on rank 1", run.Output);
    }

    private static float[] Floats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return floats;
    }
}
