using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Precision;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm finetune</c>: sequence (binary/multi-class), multi-label (chromatin) or token classification.</summary>
public sealed class FinetuneCommand : ICliCommand
{
    public string Path => "finetune";

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model directory (ours or a converted HF checkpoint) or a preset name (random init).", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer spec or file (default: the model directory's)." };
        var randomInit = new Option<bool>("--random-init") { Description = "Same architecture, fresh weights (the no-pretraining control)." };
        var task = new Option<string>("--task") { Description = "single-label | multi-label | token.", DefaultValueFactory = _ => "single-label" };
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
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 3e-5, Description = "Peak learning rate (DNABERT-2: 3e-5)." };
        var epochs = new Option<double>("--epochs") { DefaultValueFactory = _ => 3 };
        var maxSteps = new Option<int>("--max-steps") { DefaultValueFactory = _ => 0, Description = "Stop after this many steps (0 = by epochs)." };
        var globalBatch = new Option<int>("--global-batch") { DefaultValueFactory = _ => 32, Description = "Examples per optimizer step, whatever the micro-batch." };
        var microBatch = new Option<int>("--micro-batch") { DefaultValueFactory = _ => 32, Description = "Examples per forward pass (accumulation = global / micro)." };
        var maxLength = new Option<int>("--max-length") { DefaultValueFactory = _ => 128, Description = "Tokens per sequence incl. special tokens." };
        var warmup = new Option<int>("--warmup-steps") { DefaultValueFactory = _ => 50 };
        var evalSteps = new Option<int>("--eval-steps") { DefaultValueFactory = _ => 200 };
        var selectBy = new Option<string>("--select-by") { DefaultValueFactory = _ => "dev-loss", Description = "dev-loss | dev-mcc | dev-auroc." };
        var patience = new Option<int>("--patience") { DefaultValueFactory = _ => 0, Description = "Early stop after N evaluations without improvement (0 = off)." };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "fp32", Description = "fp32 | bf16 (float32 master weights)." };
        var loraRank = new Option<int>("--lora-rank") { DefaultValueFactory = _ => 0, Description = "LoRA rank (0 = full fine-tuning)." };
        var loraAlpha = new Option<double>("--lora-alpha") { DefaultValueFactory = _ => 32 };
        var loraTargets = new Option<string>("--lora-targets") { DefaultValueFactory = _ => "query,value", Description = "query,key,value,dense,ffn_up,ffn_down." };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var set = CommonOptions.Set();
        var cmd = new Command("finetune", CommonOptions.WithExamples(
            "Fine-tune a model on labelled sequences; the model best on dev is kept, tested, and saved to OUTPUT/final.",
            "dnafm finetune --model runs/chr20/final --train tf/0/train.csv --dev tf/0/dev.csv --test tf/0/test.csv --max-length 30 --output runs/tf0",
            "dnafm finetune --model runs/chr20/final --task multi-label --chromatin shared/chromatin/GRCh37_chr20 --genome GRCh37_chr20.fa.gz --kmer-baseline --output runs/chromatin",
            "dnafm finetune --model dnabert2-117m --tokenizer tokenizer.json --train a.fa --dev b.fa --labels a.tsv b.tsv --lora-rank 8 --output runs/x"));
        foreach (var o in new Option[] { model, tokenizer, randomInit, task, train, dev, test, labels, bed, chromatin, genome, devRegion, testRegion, maxBins, maxEvalBins, kmer, output,
                     lr, epochs, maxSteps, globalBatch, microBatch, maxLength, warmup, evalSteps, selectBy, patience, seed, precision, loraRank, loraAlpha, loraTargets, device, threads, set })
            cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            // Under mpirun every rank runs this; only rank 0 shows progress and writes the outputs.
            using var session = DistributedSession.Start(new DistributedConfig(), parse.GetValue(device), parse.GetValue(threads));
            var choice = session.Device;
            choice.ApplyToCurrentThread();
            var cfg = new FineTuneConfig
            {
                Task = parse.GetValue(task) switch
                {
                    "single-label" => FineTuneTask.SingleLabel,
                    "multi-label" => FineTuneTask.MultiLabel,
                    "token" => FineTuneTask.Token,
                    var t => throw new DnaInputException($"--task '{t}': use single-label, multi-label or token"),
                },
                LearningRate = parse.GetValue(lr), Epochs = parse.GetValue(epochs), MaxSteps = parse.GetValue(maxSteps),
                GlobalBatch = parse.GetValue(globalBatch), MicroBatch = parse.GetValue(microBatch), MaxLength = parse.GetValue(maxLength),
                WarmupSteps = parse.GetValue(warmup), EvalSteps = parse.GetValue(evalSteps), SelectBy = parse.GetValue(selectBy)!,
                Patience = parse.GetValue(patience), Seed = parse.GetValue(seed),
                Precision = parse.GetValue(precision) == "bf16" ? PrecisionMode.Bf16 : parse.GetValue(precision) == "fp32" ? PrecisionMode.Fp32
                    : throw new DnaInputException($"--precision '{parse.GetValue(precision)}': use fp32 or bf16"),
                Lora = parse.GetValue(loraRank) > 0
                    ? new LoraOptions { Rank = parse.GetValue(loraRank), Alpha = parse.GetValue(loraAlpha), TargetModules = parse.GetValue(loraTargets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }
                    : null,
            };
            ConfigLoader.Validate(cfg, "finetune options", "");
            var inputs = new FineTuneInputs
            {
                Train = parse.GetValue(train), Dev = parse.GetValue(dev), Test = parse.GetValue(test), Labels = parse.GetValue(labels), Bed = parse.GetValue(bed),
                ChromatinDir = parse.GetValue(chromatin), Genome = parse.GetValue(genome), DevRegion = parse.GetValue(devRegion)!, TestRegion = parse.GetValue(testRegion)!,
                MaxTrainBins = parse.GetValue(maxBins), MaxEvalBins = parse.GetValue(maxEvalBins),
            };
            var request = new FineTuneRequest(parse.GetValue(model)!, parse.GetValue(tokenizer), parse.GetValue(randomInit), inputs, cfg,
                parse.GetValue(output)!, parse.GetValue(set) ?? [], parse.GetValue(kmer));
            using var doc = DistributedRun.Guard(session.Communicator, () =>
                new FineTuneJob(choice.Device, session.IsRoot ? new ConsoleProgress(Console.Error) : null, m => { if (session.IsRoot) Console.Error.WriteLine(m); }, session.Communicator)
                    .Run(request, cancel));
            if (session.IsRoot) Console.WriteLine(System.IO.Path.Combine(parse.GetValue(output)!, "results.json"));
            return 0;
        });
        return cmd;
    }
}
