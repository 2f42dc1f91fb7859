using DnaFoundation.Cli.Quickstart;
using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training;
using DnaFoundation.Training.Observability;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The quick start's pretraining rows fit its recipe's max_length with the tokenizer the quick start itself trains:
/// its own tokenizer step runs here (into a temporary folder), then its own pretraining step, shortened to two steps,
/// must report no truncated row and no padding in metrics.jsonl. The trained vocabulary makes a 512-bp window longer
/// than max_length, which is what packing by tokens (data.pack in configs/train/quickstart.json) is for.
/// </summary>
public class QuickstartRowsTests
{
    [Fact]
    public void The_quickstart_pretraining_rows_fit_max_length_with_the_tokenizer_the_quickstart_trains()
    {
        using var dir = new TempDir("quickstart-rows");
        var plan = new QuickstartPlan { Output = dir.Path, PretrainSteps = 2, Device = "cpu", Threads = 1 };
        var steps = plan.Steps();

        var tokenizerStep = steps.Single(s => s.Args[0] == "tokenizer");
        var trained = CliRunner.RunIn(TestPaths.RepoRoot, tokenizerStep.Args);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        var tokenizer = DnaTokenizers.Load(plan.Tokenizer);
        var recipe = TrainerConfig.Load(Path.Combine(TestPaths.RepoRoot, QuickstartPlan.TrainConfig));
        Assert.True(recipe.Data.Pack, "the quick start's BPE recipe packs rows by tokens");

        // Without packing, the recipe's windows would not fit: most encode to more than max_length tokens.
        using (var fasta = IndexedFasta.Open(Path.Combine(TestPaths.RepoRoot, QuickstartPlan.Genome), writeMissingIndex: false))
        {
            var lengths = Enumerable.Range(0, 20)
                .Select(i => tokenizer.Encode(fasta.Fetch("20", 9_000_000 + 50_000L * i, 9_000_000 + 50_000L * i + recipe.Data.WindowBp)).TokenCount).ToList();
            Assert.True(lengths.Count(n => n > recipe.MaxLength) >= 10, $"{recipe.Data.WindowBp}-bp windows: {string.Join(", ", lengths)} tokens");
        }

        var pretrainStep = steps.Single(s => s.Args[0] == "pretrain");
        var run = CliRunner.RunIn(TestPaths.RepoRoot,
            [.. pretrainStep.Args, "--set", "log_every=1", "--set", "eval_batches=1", "--set", "baseline_windows=32"]);
        Assert.True(run.ExitCode == 0, run.StdErr);
        Assert.DoesNotContain("truncated", run.StdErr);
        var train = MetricsWriter.Read(Path.Combine(plan.Pretrain, MetricsWriter.FileName)).Where(o => o["kind"]!.GetValue<string>() == "train").ToList();
        Assert.Equal(2, train.Count);
        foreach (var line in train)
        {
            Assert.Equal(0, line["truncated_rows"]!.GetValue<long>());
            Assert.Equal(0.0, line["pad_fraction"]!.GetValue<double>());
        }
        // Every slot of every row held a token: global batch × max_length per step.
        Assert.Equal(2L * recipe.GlobalBatchSize * recipe.MaxLength, train[^1]["tokens"]!.GetValue<long>());
        Assert.Contains(plan.Tokenizer, File.ReadAllText(Path.Combine(plan.Pretrain, "run.json")));
    }
}
