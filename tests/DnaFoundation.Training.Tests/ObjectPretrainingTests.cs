using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Data;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// Pretraining from objects (<see cref="Pretraining.Run(TrainerConfig, PretrainingInputs, PretrainRequest, Microsoft.Extensions.Logging.ILogger, IProgress{ProgressInfo}?, CancellationToken)"/>):
/// the tiny preset built in code, the tokenizer as an object, and in-memory sequences (real chr20 stretches) as the
/// training and validation streams; no input file is read.
/// </summary>
[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class ObjectPretrainingTests
{
    // 67 bp: 62 6-mers + [CLS] + [SEP] = 64 tokens; 62 bp for single bases (char), within 64 tokens too.
    private static readonly List<string> TrainSequences = SequenceBatchSourceTests.Chr20Pieces(9_000_000, 240);
    private static readonly List<string> ValidationSequences = SequenceBatchSourceTests.Chr20Pieces(10_800_000, 32);
    private static readonly List<string> TrainBases = SequenceBatchSourceTests.Chr20Pieces(9_000_000, 240, 62);
    private static readonly List<string> ValidationBases = SequenceBatchSourceTests.Chr20Pieces(10_800_000, 32, 62);

    // tiny.json's optimisation settings shrunk as the file-path tests shrink them, a short warm-up so a few steps learn,
    // and no data section: nothing names a file.
    private static TrainerConfig Config(params string[] overrides) =>
        TinyRun.Config(["optimizer.schedule.warmup_steps=2", .. overrides]) with { Data = new GenomeDataConfig() };

    /// <summary>A fresh model, tokenizer and streams, built the same way every time (the model's init from the config's seed).</summary>
    private static PretrainingInputs Inputs(TrainerConfig cfg, string tokenizerSpec)
    {
        var tokenizer = DnaTokenizers.Load(tokenizerSpec);
        var (train, validation) = tokenizerSpec == "char" ? (TrainBases, ValidationBases) : (TrainSequences, ValidationSequences);
        random.manual_seed(cfg.Seed);
        var model = ModelFactory.Create(Pretraining.ModelConfigFor(ModelPresets.Load("tiny"), tokenizer, cfg.MaxLength), ModelHeads.MaskedLm);
        return new PretrainingInputs(model, tokenizer,
            new SequenceBatchSource(train, tokenizer, cfg.MicroBatchSize, cfg.MaxLength, cfg.Seed),
            () => new SequenceBatchSource(validation, tokenizer, cfg.MicroBatchSize, cfg.MaxLength, shuffle: false));
    }

    private static TrainingResult Run(string dir, TrainerConfig cfg, TrainerHooks? hooks = null, string? resume = null, CancellationToken cancel = default,
        string tokenizer = "kmer:6")
    {
        var inputs = Inputs(cfg, tokenizer);
        using (inputs.Model)
        using (inputs.Train)
            return Pretraining.Run(cfg, inputs, new PretrainRequest(dir, resume, null, DeviceChoice.Parse(TestDevice.Name, 1)), NullLogger.Instance, null, cancel, hooks);
    }

    private static List<double> TrainLosses(string dir) => TinyRun.Metrics(dir, "train").Select(o => o["loss"]!.GetValue<double>()).ToList();

    [Fact]
    [Trait(TestDevice.Trait, TestDevice.Capable)]
    public void A_few_steps_on_in_memory_sequences_learn_and_write_a_loadable_final_model()
    {
        using var dir = new TempDir("objects");
        // Single bases: a few steps are enough to learn the bases' frequencies (6-mers need hundreds).
        var cfg = Config("max_steps=12", "checkpoint_every=6", "eval_every=6", "masking.strategy=token", "optimizer.lr=0.005");
        var result = Run(dir.Path, cfg, tokenizer: "char");

        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.Equal(12, result.Step);
        var tokenizer = DnaTokenizers.Load("char");
        Assert.Equal(12 * 16 * tokenizer.Encode(TrainBases[0]).TokenCount, result.TokensSeen);   // every row the same length: no padding
        var losses = TrainLosses(dir.Path);
        Assert.Equal(12, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        int vocab = tokenizer.VocabSize;
        Assert.InRange(losses[0], Math.Log(vocab) - 1, Math.Log(vocab) + 1);     // an untrained model is near uniform
        Assert.True(losses.TakeLast(3).Average() < losses[0] - 0.3, $"losses {string.Join(", ", losses)}");
        Assert.InRange(losses.TakeLast(3).Average(), 1.2, 1.6);       // about the bases' entropy (~1.39 nats for A, C, G, T), no context yet
        Assert.True(double.IsFinite(result.LastEval!.Loss));
        Assert.NotNull(result.LastEval.UnigramLoss);                  // estimated on the training stream

        var final = result.FinalModelDirectory!;
        Assert.Equal(Path.Combine(dir.Path, Trainer.FinalDirectory), final);
        var (model, report) = ModelDirectory.Load(final, ModelHeads.MaskedLm, HeadLoading.Strict);
        using (model) Assert.Equal(vocab, model.Config.VocabSize);
        Assert.True(File.Exists(Path.Combine(final, "vocab.txt")));
        var recorded = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(final, Trainer.ConfigFile)))!;
        Assert.Equal("char", recorded["tokenizer"]!.GetValue<string>());   // the tokenizer object's spec, not the config's kmer:6

        // The baseline is estimated on the training stream, which is rewound: without it, the same training losses.
        using var plain = new TempDir("objects-no-baseline");
        Run(plain.Path, cfg with { BaselineWindows = 0 }, tokenizer: "char");
        Assert.Equal(losses, TrainLosses(plain.Path));
    }

    [Fact]
    public void Interrupted_then_resumed_object_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        using var straight = new TempDir("objects-straight");
        using var broken = new TempDir("objects-broken");
        var cfg = Config("max_steps=6", "checkpoint_every=3");
        Run(straight.Path, cfg);

        using var cts = new CancellationTokenSource();
        var first = Run(broken.Path, cfg, new TrainerHooks { AfterStep = (s, _) => { if (s == 3) cts.Cancel(); } }, cancel: cts.Token);
        Assert.Equal(TrainingStatus.Interrupted, first.Status);
        Assert.Equal(3, first.Step);
        // A new process would build its objects afresh: a new model (the checkpoint's weights replace its init) and stream.
        var second = Run(broken.Path, cfg, resume: "auto");
        Assert.Equal(TrainingStatus.Completed, second.Status);

        Assert.Equal(TinyRun.FinalWeights(straight.Path), TinyRun.FinalWeights(broken.Path));
        Assert.Equal(TrainLosses(straight.Path), TrainLosses(broken.Path));
        Assert.Equal(6, TrainLosses(broken.Path).Count);
    }

    [Fact]
    public void A_model_without_a_masked_lm_head_too_small_a_vocabulary_or_a_bad_setting_is_refused()
    {
        using var dir = new TempDir("objects-bad");
        var cfg = Config("max_steps=1");
        var tokenizer = DnaTokenizers.Load("kmer:6");
        using var source = new SequenceBatchSource(TrainSequences, tokenizer, cfg.MicroBatchSize, cfg.MaxLength);
        var request = new PretrainRequest(dir.Path, null, null, DeviceChoice.Parse("cpu", 1));
        var config = Pretraining.ModelConfigFor(ModelPresets.Load("tiny"), tokenizer, cfg.MaxLength);

        using var classifier = ModelFactory.Create(config, ModelHeads.Sequence);
        var e = Assert.Throws<DnaInputException>(() => Pretraining.Run(cfg, new PretrainingInputs(classifier, tokenizer, source, () => source), request, NullLogger.Instance, null, default));
        Assert.Contains("masked-LM head", e.Message);
        using var small = ModelFactory.Create(Pretraining.ModelConfigFor(ModelPresets.Load("tiny"), DnaTokenizers.Load("char"), cfg.MaxLength), ModelHeads.MaskedLm);
        e = Assert.Throws<DnaInputException>(() => Pretraining.Run(cfg, new PretrainingInputs(small, tokenizer, source, () => source), request, NullLogger.Instance, null, default));
        Assert.Contains("vocab_size", e.Message);
        // Every key is checked as a config file's would be (but the data section, which is not read).
        using var fitting = ModelFactory.Create(config, ModelHeads.MaskedLm);
        e = Assert.Throws<DnaInputException>(() => Pretraining.Run(cfg with { MaxSteps = 0 }, new PretrainingInputs(fitting, tokenizer, source, () => source), request, NullLogger.Instance, null, default));
        Assert.Contains("max_steps", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "run.json")));
    }
}
