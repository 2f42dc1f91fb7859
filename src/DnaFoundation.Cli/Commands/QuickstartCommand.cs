using System.CommandLine;
using System.Diagnostics;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Cli.Quickstart;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Training.Runs;

namespace DnaFoundation.Cli.Commands;

/// <summary>
/// <c>dnafm quickstart</c>: the whole product on the data the repository ships, as a sequence of ordinary dnafm
/// commands (each listed in the report so it can be rerun or changed), ending in report.md and a summary table.
/// </summary>
public sealed class QuickstartCommand : ICliCommand
{
    public string Path => "quickstart";

    public Command Build()
    {
        var output = new Option<string>("--output") { Description = "Run folder (relative to the repository root); its previous quick-start outputs are replaced.", DefaultValueFactory = _ => "runs/quickstart" };
        var steps = new Option<int>("--pretrain-steps") { Description = "Pretraining optimizer steps (global batch 32).", DefaultValueFactory = _ => 400 };
        var epochs = new Option<double>("--finetune-epochs") { Description = "Fine-tuning epochs over the 4,000 training rows.", DefaultValueFactory = _ => 2 };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var cmd = new Command("quickstart", CommonOptions.WithExamples(
            "Train a BPE tokenizer on the shipped GRCh37 chr20 slice, shard it, pretrain a tiny DNABERT-2-style model, fine-tune it on the shipped GUE prom_core_all slice, " +
            "score MCC on held-out rows, score real ClinVar/1000G variants, predict a promoter track along 20 kb of chr20 (bedGraph + BED), draw an attention map, and write OUTPUT/report.md. About 1-2 minutes on 2 CPU cores (measured: 54 s on 2 cores, 74 s on one).",
            "dnafm quickstart", "dnafm quickstart --output runs/qs2 --pretrain-steps 1000 --device cuda"));
        foreach (var o in new Option[] { output, steps, epochs, device, threads }) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            var root = QuickstartPlan.FindRepositoryRoot();
            Environment.CurrentDirectory = root;
            var choice = DeviceChoice.Parse(parse.GetValue(device), parse.GetValue(threads));
            var test = LabeledSequenceReader.ReadSingleLabel(System.IO.Path.Combine(QuickstartPlan.Gue, "test.csv"));
            var plan = new QuickstartPlan
            {
                Output = parse.GetValue(output)!,
                PretrainSteps = parse.GetValue(steps),
                FinetuneEpochs = parse.GetValue(epochs),
                Device = parse.GetValue(device)!,
                Threads = parse.GetValue(threads),
                AttentionSequence = test.First(r => r.Label == 1).Sequence,
            };
            if (plan.PretrainSteps < 1) throw new DnaInputException("--pretrain-steps must be at least 1");
            if (plan.FinetuneEpochs <= 0) throw new DnaInputException("--finetune-epochs must be positive");
            Clean(plan);
            var record = RunRecord.Start(plan.Output, "quickstart", plan, seed: 42, device: choice.Device.ToString());

            var stepList = plan.Steps();
            long[,]? confusion = null;
            foreach (var step in stepList)
            {
                cancel.ThrowIfCancellationRequested();
                Console.Error.WriteLine($"== quickstart: {step.Name}: {step.CommandLine}");
                var clock = Stopwatch.StartNew();
                step.ExitCode = CommandTree.Build().Parse(step.Args).Invoke();
                step.Elapsed = clock.Elapsed;
                if (step.ExitCode != 0)
                {
                    record.Complete("failed", $"step '{step.Name}' exited {step.ExitCode}");
                    Console.Error.WriteLine($"error: quickstart step '{step.Name}' failed (exit {step.ExitCode}); rerun it alone with: {step.CommandLine}");
                    return step.ExitCode;
                }
                if (step.Args[0] == "finetune")
                {
                    choice.ApplyToCurrentThread();
                    confusion = ConfusionMatrix.Compute(System.IO.Path.Combine(plan.Finetune, "final"), System.IO.Path.Combine(QuickstartPlan.Gue, "test.csv"), 32, choice.Device);
                }
            }

            var report = new QuickstartReport { Plan = plan, Steps = stepList, Confusion = confusion };
            if (confusion is not null) ConfusionMatrix.WritePng(confusion, report.ConfusionPng, "prom_core_all sample, test split");
            if (File.Exists(plan.TrackBedGraph)) TrackPlot.WritePng(plan.TrackBedGraph, report.TrackPng, $"P(promoter) along {QuickstartPlan.TrackRegion} (70-bp windows, stride 35)");
            var reportPath = System.IO.Path.Combine(plan.Output, "report.md");
            AtomicFile.WriteAllText(reportPath, report.Markdown());
            record.Complete();

            var summary = report.Summary();
            int width = summary.Max(r => r.What.Length);
            Console.WriteLine();
            Console.WriteLine("DnaFoundation quick start — summary");
            foreach (var (what, value) in summary) Console.WriteLine($"  {what.PadRight(width)}  {value}");
            Console.WriteLine($"  {"report".PadRight(width)}  {System.IO.Path.GetFullPath(reportPath)}");
            return 0;
        }, recordsItself: true); // the quick start writes its own run.json and report
        return cmd;
    }

    /// <summary>Removes what an earlier quick start wrote to the same folder, so every run starts fresh.</summary>
    private static void Clean(QuickstartPlan plan)
    {
        foreach (var dir in new[] { System.IO.Path.GetDirectoryName(plan.Tokenizer)!, plan.Shards, plan.Pretrain, plan.Finetune, System.IO.Path.GetDirectoryName(plan.Variants)!, System.IO.Path.GetDirectoryName(plan.Track)!, plan.Attention })
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var report = System.IO.Path.Combine(plan.Output, "report.md");
        if (File.Exists(report)) File.Delete(report);
    }
}
