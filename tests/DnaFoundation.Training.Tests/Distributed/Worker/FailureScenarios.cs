using DnaFoundation.Training.Distributed;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests.Distributed.Worker;

/// <summary>Runs that must end every rank with a clear message instead of hanging.</summary>
public static class FailureScenarios
{
    /// <summary>Rank 1 nudges one weight after the broadcast: the next checksum stops every rank.</summary>
    public static int Diverge(ICommunicator c, DistributedConfig config, WorkerOptions options)
    {
        manual_seed(3);
        using var model = new TinyClassifier();
        using var dp = new DataParallel(c, model, config with { ChecksumEvery = 5 });
        dp.CheckWeights(5); // identical so far
        if (c.Rank == 1)
            using (no_grad())
                model.parameters().First()[0, 0].add_(1e-6f);
        dp.CheckWeights(9);  // not a checksum step: nothing happens
        dp.CheckWeights(10); // throws on every rank
        File.WriteAllText(options.File($"rank{c.Rank}.unexpected"), "divergence not detected");
        return 0;
    }

    /// <summary>Rank 1 stops responding; rank 0 waits in a barrier until its watchdog aborts the job.</summary>
    public static int Hang(ICommunicator c)
    {
        if (c.Rank == 1) Thread.Sleep(TimeSpan.FromMinutes(10));
        c.Barrier();
        return 0;
    }

    /// <summary>Rank 1 throws while rank 0 waits in a barrier: the guard aborts the job at once.</summary>
    public static int Fail(ICommunicator c)
    {
        if (c.Rank == 1) throw new InvalidOperationException("simulated failure on rank 1");
        c.Barrier();
        return 0;
    }
}
