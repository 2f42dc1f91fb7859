using DnaFoundation.Model.Runtime;
using DnaFoundation.Training.Distributed;

namespace DnaFoundation.Training.Tests.Distributed.Worker;

/// <summary>
/// The real pretraining loop (<see cref="Pretraining.Run(TrainerConfig, PretrainRequest, Microsoft.Extensions.Logging.ILogger, IProgress{Core.ProgressInfo}?, CancellationToken)"/>)
/// on the tiny test config, as <c>dnafm pretrain</c> runs it on each rank. Options: steps, resume (auto or a
/// checkpoint), stop_rank and stop_after (that rank alone asks to stop after that step, as a Ctrl-C reaching one
/// rank first would).
/// </summary>
public static class PretrainScenario
{
    public static int Run(ICommunicator communicator, WorkerOptions options)
    {
        var cfg = TinyRun.Config($"max_steps={options.Get("steps", 4)}", "checkpoint_every=2", "distributed.checksum_every=1");
        using var cancel = new CancellationTokenSource();
        int stopRank = options.Get("stop_rank", -1);
        long stopAfter = options.Get("stop_after", -1L);
        var hooks = new TrainerHooks { AfterStep = (step, _) => { if (communicator.Rank == stopRank && step == stopAfter) cancel.Cancel(); } };
        string? resume = options.Get("resume", "none") is var r && r != "none" ? r : null;
        var request = new PretrainRequest(options.OutDir, resume, Path.GetDirectoryName(TinyRun.ConfigPath), DeviceChoice.Parse("cpu", 1), communicator);
        var result = Pretraining.Run(cfg, request, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, cancel.Token, hooks);
        File.WriteAllText(options.File($"rank{communicator.Rank}.status"), $"{result.Status.ToString().ToLowerInvariant()} {result.Step}");
        return 0;
    }
}
