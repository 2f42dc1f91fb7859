using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Gue;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Training.Precision;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm bench gue</c>: the GUE protocol with pinned per-task settings, several seeds, results beside the paper's.</summary>
public sealed class BenchGueCommand : ICliCommand
{
    public string Path => "bench gue";

    public Command Build()
    {
        var data = new Option<string>("--data") { Description = "GUE root: one folder per task (e.g. prom/prom_core_all) with train/dev/test.csv.", Required = true };
        var model = new Option<string>("--model") { Description = "Model directory or preset name (random init)." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer (default: the model directory's)." };
        var randomInit = new Option<bool>("--random-init") { Description = "Fine-tune the model's architecture from random weights (the no-pretraining control)." };
        var tasks = new Option<string[]>("--tasks") { Description = "Task folders, comma-separated or repeated (default: every task found).", AllowMultipleArgumentsPerToken = true };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds (42, 43, …).", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--output") { Description = "Folder for results.json, results.md and runs/.", Required = true };
        var epochs = new Option<double?>("--epochs") { Description = "Override the pinned epochs (recorded)." };
        var maxLength = new Option<int?>("--max-length") { Description = "Override the pinned max token length (recorded)." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Override max steps (recorded)." };
        var microBatch = new Option<int?>("--micro-batch") { Description = "Examples per forward pass; the global batch stays 32 by accumulation." };
        var precision = CommonOptions.Precision();
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var set = CommonOptions.Set();
        var cmd = new Command("gue", CommonOptions.WithExamples(
            "Fine-tune and test on GUE tasks with DNABERT-2's pinned settings (lr 3e-5, global batch 32, per-task max length and epochs, best model by dev loss), " +
            "report MCC mean ± sd over seeds next to the published DNABERT, NT-2500M-multi and DNABERT-2 numbers. Tasks without train.csv are reported 'not run'. " +
            "Overrides (--epochs, --max-length, --set key=value for any pinned key such as max_train_examples) are recorded in results.json.",
            "dnafm bench gue --data ../shared/data/gue --model runs/chr20/final --tasks prom/prom_core_all,tf/0 --seeds 3 --output docs/results/gue",
            "dnafm bench gue --data GUE --model dnabert2-117m-hf --output results/gue"));
        foreach (var o in new Option[] { data, model, tokenizer, randomInit, tasks, seeds, output, epochs, maxLength, maxSteps, microBatch, precision, device, threads, set })
            cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            var choice = DeviceChoice.Parse(parse.GetValue(device), parse.GetValue(threads));
            choice.ApplyToCurrentThread();
            var overrides = new Dictionary<string, string>();
            foreach (var kv in parse.GetValue(set) ?? [])
            {
                int eq = kv.IndexOf('=');
                if (eq <= 0) throw new DnaInputException($"--set '{kv}' must look like key=value");
                overrides[kv[..eq].Trim()] = kv[(eq + 1)..];
            }
            string Inv(IFormattable v) => v.ToString(null, System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(epochs) is double e) overrides["epochs"] = Inv(e);
            if (parse.GetValue(maxLength) is int m) overrides["max_length"] = Inv(m);
            if (parse.GetValue(maxSteps) is int s) overrides["max_steps"] = Inv(s);
            if (parse.GetValue(microBatch) is int mb) overrides["micro_batch"] = Inv(mb);
            int n = parse.GetValue(seeds);
            if (n < 1) throw new DnaInputException("--seeds must be at least 1");
            var req = new GueRunRequest(parse.GetValue(data)!, ModelLocator.Resolve(parse, model, cancel), parse.GetValue(tokenizer), parse.GetValue(tasks) ?? [],
                Enumerable.Range(42, n).ToList(), overrides, parse.GetValue(randomInit), parse.GetValue(output)!,
                CommonOptions.ParsePrecision(parse.GetValue(precision)));
            new GueRunner(choice.Device, new ConsoleProgress(Console.Error), msg => Console.Error.WriteLine(msg)).Run(req, cancel);
            Console.WriteLine(System.IO.Path.Combine(req.OutputDir, "results.md"));
            return 0;
        });
        return cmd;
    }
}
