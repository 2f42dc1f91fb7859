using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Training.Distributed;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm finetune</c>: sequence (binary/multi-class), multi-label (chromatin) or token classification.</summary>
public sealed class FinetuneCommand : ICliCommand
{
    public string Path => "finetune";

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model directory (ours or a published Hugging Face one, as shipped) or a preset name (random init)." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer spec or file (default: the model directory's)." };
        var randomInit = new Option<bool>("--random-init") { Description = "Same architecture, fresh weights (the no-pretraining control)." };
        var task = new Option<string?>("--task") { Description = "single-label | multi-label | token (key task; default single-label)." };
        var train = new Option<string?>("--train") { Description = "Training data: CSV/TSV (sequence,label or sequence,LABEL1,…) or FASTA (with --labels or --bed)." };
        var dev = new Option<string?>("--dev") { Description = "Dev data, same format: selects the best model." };
        var test = new Option<string?>("--test") { Description = "Test data, same format: scored once with the chosen model." };
        var labels = new Option<string[]>("--labels") { Description = "For FASTA input: id<TAB>label files for train, dev, test (in that order).", AllowMultipleArgumentsPerToken = true };
        var bed = new Option<string?>("--bed") { Description = "Token task: BED regions (chrom = FASTA record name) marking class 1." };
        var chromatin = new Option<string?>("--chromatin") { Description = "Chromatin folder (features.tsv + NAME.bed, optional ENCODE blacklist): DeepSEA-style 200-bp bins, 1,000-bp context." };
        var genome = new Option<string?>("--genome") { Description = "FASTA (indexed or bgzip+fai/gzi) the chromatin BED files label." };
        var devRegion = new Option<string>("--dev-region") { Description = "Chromatin dev region START-END on the contig.", DefaultValueFactory = _ => "45000000-50000000" };
        var testRegion = new Option<string>("--test-region") { Description = "Chromatin held-out test region START-END on the contig.", DefaultValueFactory = _ => "55000000-63025520" };
        var maxBins = new Option<int>("--max-train-bins") { Description = "Chromatin: use at most this many training bins (seeded; 0 = all).", DefaultValueFactory = _ => 0 };
        var maxEvalBins = new Option<int>("--max-eval-bins") { Description = "Chromatin: at most this many dev and test bins each (seeded; 0 = all).", DefaultValueFactory = _ => 0 };
        var kmer = new Option<bool>("--kmer-baseline") { Description = "Multi-label: also fit the k-mer logistic-regression baseline on the same bins." };
        var output = new Option<string>("--output") { Description = "Run folder: final/ (model directory), metrics.jsonl, results.json.", Required = true };
        // The run's settings: FineTuneConfig's defaults (the one place they live), then --config, then these options,
        // then --set. The options below have no defaults of their own: an option not given leaves the key alone.
        var config = new Option<string?>("--config") { Description = "Fine-tuning config (JSON, FineTuneConfig's keys: learning_rate, global_batch, micro_batch, max_length, epochs, lora.rank, …); options and --set override it." };
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate (key learning_rate; default 3e-5, DNABERT-2's)." };
        var epochs = new Option<double?>("--epochs") { Description = "Epochs (key epochs; default 3)." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Stop after this many steps (key max_steps; 0 = by epochs)." };
        var globalBatch = new Option<int?>("--global-batch") { Description = "Examples per optimizer step, whatever the micro-batch (key global_batch; default 32)." };
        var microBatch = new Option<int?>("--micro-batch") { Description = "Examples per forward pass, accumulation = global / micro (key micro_batch; default 32)." };
        var maxLength = new Option<int?>("--max-length") { Description = "Tokens per sequence incl. special tokens (key max_length; default 128)." };
        var warmup = new Option<int?>("--warmup-steps") { Description = "Key warmup_steps (default 50)." };
        var evalSteps = new Option<int?>("--eval-steps") { Description = "Key eval_steps (default 200)." };
        var selectBy = new Option<string?>("--select-by") { Description = "dev-loss | dev-mcc | dev-auroc (key select_by; default dev-loss)." };
        var patience = new Option<int?>("--patience") { Description = "Early stop after N evaluations without improvement (key patience; 0 = off)." };
        var seed = new Option<int?>("--seed") { Description = "Key seed (default 42)." };
        var precision = new Option<string?>("--precision") { Description = "fp32 | bf16 (float32 master weights) | auto (bf16 where the CPU or GPU computes it natively, else fp32); key precision, default fp32." };
        var loraRank = new Option<int?>("--lora-rank") { Description = "LoRA rank (key lora.rank; 0 or absent = full fine-tuning)." };
        var loraAlpha = new Option<double?>("--lora-alpha") { Description = "Key lora.alpha (default 32)." };
        var loraTargets = new Option<string?>("--lora-targets") { Description = "query,key,value,dense,ffn_up,ffn_down (key lora.target_modules; default query,value)." };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var set = CommonOptions.Set();
        var modelSet = new Option<string[]>("--model-set") { Description = "Override a model config key: --model-set key=value (repeatable), e.g. hidden_dropout_prob=0.", AllowMultipleArgumentsPerToken = false };
        var cmd = new Command("finetune", CommonOptions.WithExamples(
            "Fine-tune a model on labelled sequences; the model best on dev is kept, tested, and saved to OUTPUT/final.",
            "dnafm finetune --model runs/chr20/final --train tf/0/train.csv --dev tf/0/dev.csv --test tf/0/test.csv --max-length 30 --output runs/tf0",
            "dnafm finetune --model runs/chr20/final --task multi-label --chromatin shared/chromatin/GRCh37_chr20 --genome GRCh37_chr20.fa.gz --kmer-baseline --output runs/chromatin",
            "dnafm finetune --model dnabert2-117m --tokenizer tokenizer.json --train a.fa --dev b.fa --labels a.tsv b.tsv --lora-rank 8 --output runs/x"));
        foreach (var o in new Option[] { model, tokenizer, randomInit, task, train, dev, test, labels, bed, chromatin, genome, devRegion, testRegion, maxBins, maxEvalBins, kmer, output,
                     config, lr, epochs, maxSteps, globalBatch, microBatch, maxLength, warmup, evalSteps, selectBy, patience, seed, precision, loraRank, loraAlpha, loraTargets, device, threads, set, modelSet })
            cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            // Under mpirun every rank runs this; only rank 0 shows progress and writes the outputs.
            using var session = DistributedSession.Start(new DistributedConfig(), parse.GetValue(device), parse.GetValue(threads));
            var choice = session.Device;
            choice.ApplyToCurrentThread();
            var assignments = new List<string>();
            void Key<T>(Option<T?> option, string key) where T : struct
            {
                if (parse.GetValue(option) is T v) assignments.Add(string.Create(CultureInfo.InvariantCulture, $"{key}={v}"));
            }
            void Text(Option<string?> option, string key)
            {
                if (parse.GetValue(option) is string v) assignments.Add($"{key}={JsonSerializer.Serialize(v)}");
            }
            Text(task, "task");
            Key(lr, "learning_rate"); Key(epochs, "epochs"); Key(maxSteps, "max_steps"); Key(globalBatch, "global_batch");
            Key(microBatch, "micro_batch"); Key(maxLength, "max_length"); Key(warmup, "warmup_steps"); Key(evalSteps, "eval_steps");
            Text(selectBy, "select_by"); Key(patience, "patience"); Key(seed, "seed"); Text(precision, "precision");
            if (parse.GetValue(loraRank) is int rank && rank > 0)
            {
                Key(loraRank, "lora.rank"); Key(loraAlpha, "lora.alpha");
                if (parse.GetValue(loraTargets) is string targets)
                    assignments.Add("lora.target_modules=" + JsonSerializer.Serialize(targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            }
            assignments.AddRange(parse.GetValue(set) ?? []);
            var cfg = parse.GetValue(config) is string configPath
                ? ConfigLoader.Load<FineTuneConfig>(configPath, assignments)
                : ConfigLoader.Bind<FineTuneConfig>(new JsonObject(), "finetune options", assignments);
            var inputs = new FineTuneInputs
            {
                Train = parse.GetValue(train), Dev = parse.GetValue(dev), Test = parse.GetValue(test), Labels = parse.GetValue(labels), Bed = parse.GetValue(bed),
                ChromatinDir = parse.GetValue(chromatin), Genome = parse.GetValue(genome), DevRegion = parse.GetValue(devRegion)!, TestRegion = parse.GetValue(testRegion)!,
                MaxTrainBins = parse.GetValue(maxBins), MaxEvalBins = parse.GetValue(maxEvalBins),
            };
            var request = new FineTuneRequest(ModelLocator.Resolve(parse, model, cancel), parse.GetValue(tokenizer), parse.GetValue(randomInit), inputs, cfg,
                parse.GetValue(output)!, parse.GetValue(modelSet) ?? [], parse.GetValue(kmer));
            DistributedRun.Guard(session.Communicator, () =>
                new FineTuneJob(choice.Device, session.IsRoot ? new ConsoleProgress(Console.Error) : null, m => { if (session.IsRoot) Console.Error.WriteLine(m); }, session.Communicator)
                    .Run(request, cancel));
            if (session.IsRoot) Console.WriteLine(System.IO.Path.Combine(parse.GetValue(output)!, "results.json"));
            return 0;
        });
        return cmd;
    }
}
