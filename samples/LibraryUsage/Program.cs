// DnaFoundation as a library: the four things a .NET program most often wants, on the repository's shipped samples,
// through the public API of the NuGet packages only: tokenize, pretrain (from in-memory sequences, and from a genome),
// fine-tune, embed. Usage: LibraryUsage SAMPLES_DIR [WORK_DIR]
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Optimization;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: LibraryUsage SAMPLES_DIR [WORK_DIR]");
    return 2;
}
string samples = Path.GetFullPath(args[0]);
string work = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), $"dnafm-library-usage-{Environment.ProcessId}");
Directory.CreateDirectory(work);
var device = DeviceChoice.Parse("cpu", 2);
device.ApplyToCurrentThread();

// 1. Tokenize: DNABERT's 6-mers, ids equal to the published vocab.txt.
var tokenizer = DnaTokenizers.Load("kmer:6");
var encoded = tokenizer.Encode("ACGTACGTTAGCNNACGT");
Console.WriteLine($"tokenize: {encoded.Ids.Length} ids, first {string.Join(' ', encoded.Ids.Take(4))}");

// 2. Pretrain a few steps from objects, no input file: the tiny preset fitted to the tokenizer, and the GUE promoter
//    sample's sequences held in memory as the training stream (its dev sequences as the held-out validation stream).
var promoters = LabeledSequenceReader.ReadSingleLabel(Path.Combine(samples, "gue", "prom_core_all", "train.csv")).Select(r => r.Sequence).ToList();
var heldOut = LabeledSequenceReader.ReadSingleLabel(Path.Combine(samples, "gue", "prom_core_all", "dev.csv")).Select(r => r.Sequence).ToList();
var config = new TrainerConfig      // optimisation settings only: the model, tokenizer and data are the objects below
{
    MaxLength = 72,                 // 70 bp: 65 6-mers + [CLS] + [SEP]
    MicroBatchSize = 8,
    GlobalBatchSize = 8,
    MaxSteps = 4,
    EvalEvery = 0,
    EvalBatches = 1,
    BaselineWindows = 16,
    Optimizer = new OptimizerConfig { Lr = 1e-3 },
};
TrainingResult pretrained;
using (var encoder = ModelFactory.Create(Pretraining.ModelConfigFor(ModelPresets.Load("tiny"), tokenizer, config.MaxLength), ModelHeads.MaskedLm))
using (var stream = new SequenceBatchSource(promoters, tokenizer, config.MicroBatchSize, config.MaxLength, config.Seed))
{
    var inputs = new PretrainingInputs(encoder, tokenizer, stream,
        Validation: () => new SequenceBatchSource(heldOut, tokenizer, config.MicroBatchSize, config.MaxLength, shuffle: false));
    pretrained = Pretraining.Run(config, inputs, new PretrainRequest(Path.Combine(work, "pretrain"), Resume: null, ConfigDirectory: null, device),
        Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, progress: null, CancellationToken.None);
}
Console.WriteLine($"pretrain: {pretrained.Status} after {pretrained.Step} steps on {promoters.Count} in-memory sequences, {pretrained.TokensSeen} tokens; validation loss {pretrained.LastEval?.Loss:F3}");

// 2b. The same from a config that names a genome (here the shipped chr20 sample) instead: the tokenizer, model and
//     windows are built from it, as `dnafm pretrain` does.
var genomeConfig = config with
{
    Model = "tiny",
    Tokenizer = "kmer:6",
    Data = new GenomeDataConfig
    {
        Genome = Path.Combine(samples, "genome", "GRCh37_chr20_sample.fa.gz"),
        TrainRegions = ["20:9000001-10800000"],
        ValidationRegions = ["20:10800001-11000000"],
        WindowBp = 128,
    },
    MaxLength = 64,
};
var fromGenome = Pretraining.Run(genomeConfig, new PretrainRequest(Path.Combine(work, "pretrain-genome"), Resume: null, ConfigDirectory: null, device),
    Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, progress: null, CancellationToken.None);
Console.WriteLine($"pretrain from a genome: {fromGenome.Status} after {fromGenome.Step} steps, {fromGenome.TokensSeen} tokens; validation loss {fromGenome.LastEval?.Loss:F3}");

// 3. Fine-tune the pretrained encoder on the shipped GUE promoter sample (a classification head initialised here).
var train = LabeledSequenceReader.ReadSingleLabel(Path.Combine(samples, "gue", "prom_core_all", "train.csv")).Take(64).ToList();
var dev = LabeledSequenceReader.ReadSingleLabel(Path.Combine(samples, "gue", "prom_core_all", "dev.csv")).Take(32).ToList();
var (model, report) = ModelDirectory.Load(pretrained.FinalModelDirectory!, ModelHeads.Sequence, HeadLoading.EncoderOnly);
using (model)
{
    var fineTune = new FineTuneConfig { LearningRate = 1e-3, GlobalBatch = 16, MicroBatch = 16, MaxLength = 32, MaxSteps = 4, WarmupSteps = 0, EvalSteps = 4 };
    var result = new FineTuner(fineTune, device.Device).Run(model, tokenizer.PadId,
        FineTuneExamples.Single(train, tokenizer, fineTune.MaxLength), FineTuneExamples.Single(dev, tokenizer, fineTune.MaxLength));
    Console.WriteLine($"fine-tune: {result.Steps} steps, best dev loss {result.Best?.Loss:F3}, {result.TrainableParameters} trainable parameters");

    // 4. Embed a sequence with the fine-tuned encoder (mean over its tokens).
    var embedding = new Embedder(model, tokenizer, device.Device).Embed("first-dev", dev[0].Sequence, new EmbedOptions(Pooling.Mean));
    Console.WriteLine($"embed: {embedding.Count} vector(s) of {embedding[0].Vector.Length} values");
}
return 0;
