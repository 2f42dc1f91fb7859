using System.Text.Json;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Gue;
using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Gue;

/// <summary>The harness and jobs end to end on a tiny preset and toy data.</summary>
public class GueRunnerTests
{
    private static void WriteCsv(string path, int n, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, ["sequence,label", .. ToyData.Motif(n, seed).Select(r => $"{r.Sequence},{r.Label}")]);
    }

    [Fact]
    public void Runs_seeds_records_overrides_and_reports_missing_train_as_not_run()
    {
        using var d = new TempDir("gue-run");
        var data = Path.Combine(d.Path, "gue");
        WriteCsv(Path.Combine(data, "tf", "0", "train.csv"), 64, 1);
        WriteCsv(Path.Combine(data, "tf", "0", "dev.csv"), 16, 2);
        WriteCsv(Path.Combine(data, "tf", "0", "test.csv"), 16, 3);
        WriteCsv(Path.Combine(data, "prom", "prom_300_all", "dev.csv"), 8, 4);
        WriteCsv(Path.Combine(data, "prom", "prom_300_all", "test.csv"), 8, 5);
        var overrides = new Dictionary<string, string> { ["max_steps"] = "2", ["micro_batch"] = "16", ["learning_rate"] = "1e-3" };
        var req = new GueRunRequest(data, "tiny", "char", [], [42, 43], overrides, false, Path.Combine(d.Path, "out"));
        var r = new GueRunner(CPU).Run(req);

        var tf = r.Tasks.Single(t => t.Task == "tf/0");
        Assert.Equal(GueTaskResult.Ok, tf.Status);
        Assert.Equal([42, 43], tf.Seeds.Select(s => s.Seed));
        Assert.All(tf.Seeds, s => Assert.Equal(2, s.Steps));
        Assert.Equal(2, tf.Settings!.AccumulationSteps);       // global 32 = 16 × 2, whatever the micro-batch
        Assert.Equal(32, tf.Settings.GlobalBatch);
        // char tokenizer: the longest sequence (40 bp + special tokens), not the BPE-counted 30 of the pinned table
        Assert.Equal(40 + ToyData.Char.Special.Prefix.Length + ToyData.Char.Special.Suffix.Length, tf.Settings.MaxLength);
        Assert.Equal(GueTaskResult.NotRun, r.Tasks.Single(t => t.Task == "prom/prom_300_all").Status);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(d.Path, "out", "results.json")));
        Assert.Equal("2", json.RootElement.GetProperty("overrides").GetProperty("max_steps").GetString());
        Assert.True(File.Exists(Path.Combine(d.Path, "out", "runs", "tf_0", "seed-43", "metrics.jsonl")));
        Assert.Contains("not run: train.csv absent", File.ReadAllText(Path.Combine(d.Path, "out", "results.md")));
    }

    [Fact]
    public void Harness_gives_the_same_result_with_accumulation_4_as_with_batch_32_at_once()
    {
        using var d = new TempDir("gue-accum");
        var data = Path.Combine(d.Path, "gue");
        WriteCsv(Path.Combine(data, "tf", "0", "train.csv"), 96, 11);
        WriteCsv(Path.Combine(data, "tf", "0", "dev.csv"), 16, 12);
        WriteCsv(Path.Combine(data, "tf", "0", "test.csv"), 32, 13);
        // a "pretrained" directory with dropout 0, so the two runs differ only in how the global batch is split
        var modelDir = d.File("pretrained");
        using (var m = ToyData.Model(21, DnaFoundation.Model.ModelHeads.MaskedLm)) DnaFoundation.Model.Checkpoints.ModelDirectory.Save(m, modelDir);
        GueTaskResult Run(string micro, string global = "32")
        {
            var o = new Dictionary<string, string> { ["max_steps"] = "3", ["learning_rate"] = "1e-2", ["warmup_steps"] = "1", ["eval_steps"] = "3", ["micro_batch"] = micro, ["global_batch"] = global };
            return new GueRunner(CPU).Run(new GueRunRequest(data, modelDir, "char", ["tf/0"], [42], o, false, Path.Combine(d.Path, $"out-{micro}-{global}"))).Tasks.Single();
        }
        var whole = Run("32");
        var accumulated = Run("8");
        Assert.Equal((1, 4), (whole.Settings!.AccumulationSteps, accumulated.Settings!.AccumulationSteps));
        Assert.Equal(32, accumulated.Settings.GlobalBatch);
        var (a, b) = (whole.Seeds.Single(), accumulated.Seeds.Single());
        Assert.Equal(3, a.Steps);
        Assert.Equal(a.Steps, b.Steps);
        Assert.Equal(a.Dev["loss"], b.Dev["loss"], 5);
        foreach (var k in new[] { "mcc", "accuracy", "f1", "auroc" })
            Assert.Equal(a.Test[k], b.Test[k], 4);
        // not vacuous: a different global batch (16, the same micro-batch 8) does change the result
        var smaller = Run("8", "16").Seeds.Single();
        Assert.True(Math.Abs(smaller.Dev["loss"] - a.Dev["loss"]) > 1e-4, $"dev loss {smaller.Dev["loss"]} vs {a.Dev["loss"]}");
    }

    [Fact]
    public void Finetune_job_saves_a_classifier_that_score_variants_can_use()
    {
        using var d = new TempDir("ft-job");
        WriteCsv(d.File("train.csv"), 64, 1);
        WriteCsv(d.File("dev.csv"), 16, 2);
        WriteCsv(d.File("test.csv"), 16, 3);
        var cfg = new FineTuneConfig { LearningRate = 1e-3, GlobalBatch = 16, MicroBatch = 16, MaxSteps = 3, WarmupSteps = 0, EvalSteps = 3, MaxLength = 64 };
        var req = new FineTuneRequest("tiny", "char", false, new FineTuneInputs { Train = d.File("train.csv"), Dev = d.File("dev.csv"), Test = d.File("test.csv") },
            cfg, d.File("run"), []);
        var result = new FineTuneJob(CPU).Run(req)!;
        Assert.Equal(3, result.Steps);
        Assert.True(result.Test!.ContainsKey("mcc"));
        Assert.Contains("sequence.classifier.weight", result.InitializedHeads);
        // results.json is the typed result serialized, with the key order and optional test keys it always had.
        using (var written = JsonDocument.Parse(File.ReadAllText(d.File(Path.Combine("run", "results.json")))))
        {
            Assert.Equal(["model", "origin", "initialized_heads", "tokenizer", "config", "inputs", "labels", "steps", "best_step", "stopped_early", "seconds",
                "trainable_parameters", "final_model", "best_dev", "dropped_input_rows", "precision", "blas", "test_loss", "test", "test_predictions"],
                written.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(result.Test["mcc"], written.RootElement.GetProperty("test").GetProperty("mcc").GetDouble());
            Assert.Equal(result.BestDev!.Loss, written.RootElement.GetProperty("best_dev").GetProperty("loss").GetDouble());
            Assert.Equal(result.TestPredictions, written.RootElement.GetProperty("test_predictions").GetString());
        }
        var final = d.File(Path.Combine("run", "final"));
        Assert.True(File.Exists(Path.Combine(final, "config.json")));
        Assert.True(File.Exists(Path.Combine(final, "vocab.txt")));

        // chr1 of 60 bp; one SNV, one REF mismatch, one alias (chr1 → 1), one indel
        var seq = ToyData.Motif(2, 9, 60)[0].Sequence;
        File.WriteAllText(d.File("ref.fa"), ">1\n" + seq + "\n");
        File.WriteAllText(d.File("v.vcf"), $"chr1\t30\tClinvar1\t{seq[29]}\t{(seq[29] == 'A' ? 'C' : 'A')}\n1\t31\t1000G1\t{(seq[30] == 'A' ? 'C' : 'A')}\tG\n1\t10\tx\t{seq[9]}\t{seq[9]}TT\n");
        var vreq = new VariantScoringRequest(final, null, d.File("v.vcf"), d.File("ref.fa"), d.File("scores.tsv"), 32,
            VariantScores.Classifier | VariantScores.Embedding, 1, new Dictionary<string, int> { ["Clinvar"] = 1, ["1000G"] = 0 });
        var (rows, _) = new VariantScoringJob(CPU).Run(vreq);
        Assert.Equal(["ok", VariantStatus.RefMismatch, "ok"], rows.Select(r => r.Status));
        Assert.Equal("1", rows[0].Contig);
        Assert.NotNull(rows[0].ClassifierDelta);
        Assert.NotNull(rows[2].EmbeddingDistance);
        Assert.Equal(seq[30].ToString(), rows[1].FastaRef);
        Assert.StartsWith("chrom\tpos\tid\tref\talt\tcontig\tstatus", File.ReadAllText(d.File("scores.tsv")));
        // the LLR needs an MLM head, which a classifier directory does not have: a clear input error
        Assert.Throws<DnaFoundation.Core.DnaInputException>(() => new VariantScoringJob(CPU).Run(vreq with { Scores = VariantScores.Llr }));
    }
}
