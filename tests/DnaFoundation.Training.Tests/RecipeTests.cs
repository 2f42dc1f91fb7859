using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Masking;
using DnaFoundation.Training.Optimization;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// configs/train/*.json: each loads and validates, its model preset and tokenizer resolve into a valid architecture,
/// its batch arithmetic holds, its header says where the numbers come from, and the published recipes carry the
/// published numbers. The recipes whose data is here run two steps.
/// </summary>
[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class RecipeTests
{
    private static string Dir => Path.Combine(TestPaths.RepoRoot, "configs", "train");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Dir, "*.json").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void The_published_recipes_and_the_small_ones_are_all_there()
    {
        var names = Directory.GetFiles(Dir, "*.json").Select(Path.GetFileName).ToHashSet();
        foreach (var n in new[] { "tiny.json", "quickstart.json", "laptop.json", "dnabert.json", "dnabert2.json", "nt-v2.json", "logo.json" })
            Assert.Contains(n, names);
    }

    /// <summary>
    /// A tokenizer spec that names a file the user makes first (a trained BPE, e.g. the tokenizer.json the quick
    /// start trains) is checked with a committed real BPE of the same kind — never with
    /// whatever an earlier run left in the checkout, so the suite gives the same answer before and after
    /// `dnafm quickstart` (README order).
    /// </summary>
    private static DnaTokenizer LoadTokenizer(string spec)
    {
        if (spec.Contains(':') || spec is "char" or "nt6") return DnaTokenizers.Load(spec);
        Assert.True(Path.GetFileName(spec) is "tokenizer.json" or "vocab.txt", $"tokenizer '{spec}' must be a tokenizer.json or vocab.txt");
        return DnaTokenizers.Load(TestPaths.Fixture("tokenizers", "dnabert2_tokenizer.json"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_recipe_loads_validates_resolves_its_model_and_tokenizer_and_its_batch_adds_up(string file)
    {
        var path = Path.Combine(Dir, file);
        var cfg = TrainerConfig.Load(path);
        Assert.Matches(@"^\{\s*//", File.ReadAllText(path));              // a comment header first: where the numbers come from
        var tokenizer = LoadTokenizer(cfg.Tokenizer);
        var (model, heads) = Pretraining.ModelConfigFor(cfg, tokenizer, ModelPresets.Load(cfg.Model, cfg.ModelOverrides));
        Assert.Equal(tokenizer.VocabSize, model.VocabSize);
        Assert.True(ModelSummary.ParameterCount(model, heads) > 0);
        Assert.Equal(cfg.IsMultitask, heads == ModelHeads.MultiTask);

        // The global batch is micro × accumulation × ranks, on one rank and on the ranks the recipe names.
        int accumulation = cfg.AccumulationSteps(1);
        Assert.Equal(cfg.GlobalBatchSize, cfg.MicroBatchSize * accumulation);
        Assert.True(cfg.Optimizer.Schedule.WarmupSteps < cfg.MaxSteps);
        if (cfg.Masking.Strategy == MaskingStrategy.KmerSpan) Assert.StartsWith("kmer:", cfg.Tokenizer);

        // A window of real bases fits max_length (so rows do not lose their last tokens).
        if (cfg.Data.Kind != DataSourceKind.Shards)
            Assert.InRange(Tokens(tokenizer, cfg.Data.WindowBp), 1, cfg.MaxLength);
    }

    /// <summary>Tokens of a real N-free window of chr20 (the shipped sample) of <paramref name="bp"/> bases.</summary>
    private static int Tokens(DnaTokenizer tokenizer, int bp) => tokenizer.Encode(SampleCorpus.Bases(9_100_000, 9_100_000 + bp)).Ids.Length;

    private static TrainerConfig Recipe(string name) => TrainerConfig.Load(Path.Combine(Dir, name));

    private static long CheckpointParameters(TrainerConfig cfg)
    {
        var (model, heads) = Pretraining.ModelConfigFor(cfg, LoadTokenizer(cfg.Tokenizer), ModelPresets.Load(cfg.Model, cfg.ModelOverrides));
        return ModelSummary.CheckpointParameterCount(model, heads);
    }

    [Fact]
    public void Dnabert_is_the_published_6mer_recipe()
    {
        var c = Recipe("dnabert.json");
        Assert.Equal(("dnabert-6mer", "kmer:6"), (c.Model, c.Tokenizer));
        Assert.Equal(MaskingStrategy.KmerSpan, c.Masking.Strategy);
        Assert.Equal(0.025, c.Masking.MlmProbability / 6, 12);            // --mlm_probability 0.025 per span centre
        Assert.Equal((4e-4, 10_000L, 0.98, 1e-6, 0.01), (c.Optimizer.Lr, c.Optimizer.Schedule.WarmupSteps, c.Optimizer.Beta2, c.Optimizer.Eps, c.Optimizer.WeightDecay));
        Assert.Equal((200_000L, 512), (c.MaxSteps, c.MaxLength));
        Assert.Equal(10 * 25 * 8, c.GlobalBatchSize);                      // per GPU × accumulation × 8 GPUs
        Assert.Equal(25, c.AccumulationSteps(8));
        Assert.Equal(512, Tokens(DnaTokenizers.Load("kmer:6"), c.Data.WindowBp));   // windows fill the block
        Assert.Equal("data-manifests/hg38.json", c.Data.Manifest);
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, c.Data.Manifest)));
    }

    [Fact]
    public void Dnabert2_is_the_published_recipe_on_the_117M_model()
    {
        var c = Recipe("dnabert2.json");
        Assert.Equal(MaskingStrategy.Token, c.Masking.Strategy);
        Assert.Equal(0.15, c.Masking.MlmProbability);
        Assert.Equal((5e-4, 30_000L, ScheduleKind.Linear, 0.0), (c.Optimizer.Lr, c.Optimizer.Schedule.WarmupSteps, c.Optimizer.Schedule.Kind, c.Optimizer.Schedule.MinLrRatio));
        Assert.Equal((0.9, 0.98, 1e-6, 1e-5), (c.Optimizer.Beta1, c.Optimizer.Beta2, c.Optimizer.Eps, c.Optimizer.WeightDecay));
        Assert.Equal((500_000L, 4096, 128), (c.MaxSteps, c.GlobalBatchSize, c.MaxLength));
        Assert.Equal(262e9, (double)c.MaxSteps * c.GlobalBatchSize * c.MaxLength, 0.01 * 262e9);   // the paper's 262B tokens
        Assert.Equal(4096, LoadTokenizer(c.Tokenizer).VocabSize);
        Assert.InRange(CheckpointParameters(c), 116e6, 118.5e6);          // DNABERT-2-117M
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, c.Data.Manifest)));
    }

    [Fact]
    public void Nt_v2_is_the_published_recipe_on_the_pre_ln_rope_swiglu_preset()
    {
        var c = Recipe("nt-v2.json");
        var preset = ModelPresets.Load(c.Model);
        Assert.Equal("nt6", c.Tokenizer);
        Assert.Equal((PositionScheme.Rotary, "pre", "swiglu"), (preset.PositionEmbeddingType, preset.LayerNormPlacement.ToString().ToLowerInvariant(), preset.FeedForward.ToString().ToLowerInvariant()));
        Assert.Equal(1000, Tokens(DnaTokenizers.Load("nt6"), c.Data.WindowBp));      // 1,000-token sequences
        Assert.InRange(c.GlobalBatchSize * (double)c.MaxLength, 1e6, 1.05e6);                 // an effective batch of 1M tokens
        Assert.Equal(300e9, (double)c.MaxTokens!);
        Assert.Equal((ScheduleKind.InverseSqrt, 16_000L, 0.5, 1e-4), (c.Optimizer.Schedule.Kind, c.Optimizer.Schedule.WarmupSteps, c.Optimizer.Schedule.WarmupStartRatio, c.Optimizer.Lr));
        Assert.Equal((0.9, 0.999, 1e-8, 0.0), (c.Optimizer.Beta1, c.Optimizer.Beta2, c.Optimizer.Eps, c.Optimizer.WeightDecay));
        Assert.InRange(CheckpointParameters(c), 95e6, 105e6);             // nucleotide-transformer-v2-100m
    }

    [Fact]
    public void Logo_is_the_published_schedule_and_model_with_region_and_chromatin_heads()
    {
        var c = Recipe("logo.json");
        var preset = ModelPresets.Load(c.Model);
        Assert.Equal((2, 256, 8, 128), (preset.NumHiddenLayers, preset.HiddenSize, preset.NumAttentionHeads, preset.EmbeddingSize));
        Assert.Equal(200 + 1, Tokens(DnaTokenizers.Load(c.Tokenizer), c.Data.WindowBp));   // 1,000 bp as 5-grams + <cls>
        Assert.Equal(Math.Pow(256, -0.5) * Math.Pow(2500, -0.5), c.Optimizer.Lr, 15);           // Noam peak at 2,500 steps
        Assert.Equal((ScheduleKind.InverseSqrt, 2500L), (c.Optimizer.Schedule.Kind, c.Optimizer.Schedule.WarmupSteps));
        Assert.Equal((600_000L, 256 * 4), (c.MaxSteps, c.GlobalBatchSize));
        Assert.True(c.IsMultitask);
        Assert.Equal(2, c.Data.RegionBeds.Length);
        Assert.Equal(15, c.Data.ChromatinBeds.Length);
    }

    private static TrainingResult Smoke(string file, string dir, params string[] extra)
    {
        var cfg = TrainerConfig.Load(Path.Combine(Dir, file),
            ["max_steps=2", "checkpoint_every=2", "eval_batches=1", "baseline_windows=8", "log_every=1", "device=cpu", "threads=1", .. extra]);
        return Pretraining.Run(cfg, new PretrainRequest(dir, null, Dir, DeviceChoice.Parse("cpu", 1)), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, CancellationToken.None);
    }

    [Fact]
    public void The_laptop_recipe_runs()
    {
        using var dir = new TempDir("laptop");
        var r = Smoke("laptop.json", dir.Path, "micro_batch_size=4", "global_batch_size=8");
        Assert.Equal(TrainingStatus.Completed, r.Status);
        Assert.True(File.Exists(Path.Combine(dir.Path, Trainer.FinalDirectory, "model.safetensors")));
    }

    [SkippableFact]
    public void The_logo_recipe_trains_mlm_region_and_chromatin_losses_on_the_real_labels()
    {
        TestPaths.Shared("chromatin", "GRCh37_chr20", "features.tsv");
        TestPaths.Shared("genomes", "human", "GRCh37_chr20.fa.gz");
        using var dir = new TempDir("logo");
        var r = Smoke("logo.json", dir.Path, "micro_batch_size=2", "global_batch_size=2");
        Assert.Equal(TrainingStatus.Completed, r.Status);
        var line = TinyRun.Metrics(dir.Path, "train")[^1];
        foreach (var key in new[] { "loss_mlm", "loss_region", "loss_chromatin" })
            Assert.True(double.IsFinite(line[key]!.GetValue<double>()) && line[key]!.GetValue<double>() > 0, key);
        Assert.NotNull(r.LastEval!.RegionLoss);
        Assert.NotNull(r.LastEval!.ChromatinLoss);
    }
}
