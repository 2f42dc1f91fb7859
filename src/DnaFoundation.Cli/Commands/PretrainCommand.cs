using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Training;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Runs;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm pretrain</c>: masked-LM (or LOGO-style multitask) pretraining from a config; resumable.</summary>
public sealed class PretrainCommand : ICliCommand
{
    public string Path => "pretrain";

    public Command Build()
    {
        var config = new Option<string>("--config") { Description = "Training config (configs/train/NAME.json).", Required = true };
        var output = new Option<string?>("--output") { Description = "Run directory: checkpoints/, final/, metrics.jsonl, tensorboard/, loss.png, run.json (default runs/<config name>)." };
        var maxSteps = new Option<long?>("--max-steps") { Description = "Optimizer steps (overrides max_steps)." };
        var checkpointEvery = new Option<long?>("--checkpoint-every") { Description = "Steps between checkpoints (overrides checkpoint_every)." };
        var resume = new Option<string?>("--resume") { Description = "auto (latest checkpoint in --output, else start fresh) or a checkpoint / run directory." };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var set = CommonOptions.Set();
        var cmd = new Command("pretrain", CommonOptions.WithExamples(
            "Pretrain a DNA language model (masked LM; LOGO-style multitask when the data config lists BED labels). " +
            "Checkpoints go to DIR/checkpoints/step-N/, the final model to DIR/final/ (a Hugging Face-style directory). Ctrl-C (SIGINT) or SIGTERM saves a checkpoint first; a second one quits at once.",
            "dnafm pretrain --config configs/train/tiny.json --output runs/tiny",
            "dnafm pretrain --config configs/train/tiny.json --output runs/tiny --resume auto",
            "dnafm pretrain --config configs/train/dnabert2.json --set precision=bf16 --set micro_batch_size=8 --max-steps 1000"));
        foreach (var o in new Option[] { config, output, maxSteps, checkpointEvery, resume, device, threads, set }) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            var configPath = parse.GetValue(config)!;
            var overrides = new List<string>(parse.GetValue(set) ?? []);
            if (parse.GetValue(maxSteps) is long n) overrides.Add($"max_steps={n}");
            if (parse.GetValue(checkpointEvery) is long c) overrides.Add($"checkpoint_every={c}");
            if (parse.GetResult(device) is { Implicit: false }) overrides.Add($"device={parse.GetValue(device)}");
            if (parse.GetResult(threads) is { Implicit: false }) overrides.Add($"threads={parse.GetValue(threads)}");
            var cfg = TrainerConfig.Load(configPath, overrides);
            var dir = parse.GetValue(output) ?? System.IO.Path.Combine("runs", System.IO.Path.GetFileNameWithoutExtension(configPath));
            // Under mpirun every rank runs this; only rank 0 logs to the run directory and shows progress.
            using var session = DistributedSession.Start(cfg.Distributed, cfg.Device, cfg.Threads);
            using var log = session.IsRoot ? RunLog.Create(dir, parse.GetValue(CommonOptions.Verbose)) : RunLog.Quiet(session.Communicator.Rank);
            // Ctrl-C / SIGTERM: stop after the current step and save a checkpoint (the trainer checks the token every step).
            using var stop = new StopSignals(cancel, "stopping after this step and saving a checkpoint");
            var request = new PretrainRequest(dir, parse.GetValue(resume), System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(configPath)), session.Device, session.Communicator);
            var result = DistributedRun.Guard(session.Communicator, () => Pretraining.Run(cfg, request, RunLog.ForLibraries(log), session.IsRoot ? new ConsoleProgress() : null, stop.Token));
            if (!session.IsRoot) return 0;
            if (result.Status == TrainingStatus.Interrupted)
            {
                Console.Error.WriteLine($"interrupted at step {result.Step}: checkpoint {result.LastCheckpoint}; continue with --resume auto");
                return 130;
            }
            Console.WriteLine(result.FinalModelDirectory);
            return 0;
        }, recordsItself: true); // Pretraining.Run writes run.json from the first step, so a kill is visible
        return cmd;
    }
}
