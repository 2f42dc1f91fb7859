using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Distributed;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// <c>mpirun -np 2 dnafm finetune</c> against the same fine-tuning in one process with the same global batch
/// (2 micro-batches of 4 accumulated). The pretraining loop's bitwise equality is tested in the Training tests; here
/// the sum of the two ranks' gradients is taken in a different order than one process's accumulation (rank 0 gets
/// examples 0, 2, 4, 6 of each global batch, rank 1 the odd ones), so float results agree to rounding, not to the bit.
/// Dropout is switched off in the model so both runs draw no random numbers during training.
/// </summary>
public class MpiFinetuneTests
{
    private const string Prom = "samples/gue/prom_core_all/";

    [SkippableFact]
    public void Two_ranks_fine_tune_to_the_single_process_result_and_only_rank_0_writes()
    {
        var mpirun = MpirunCommandLine.Find();
        Skip.If(mpirun is null, "mpirun is not installed (Debian/Ubuntu: apt-get install openmpi-bin; .ci/run installs it)");
        using var dir = new TempDir("mpi-finetune");

        var pre = CliRunner.RunIn(TestPaths.RepoRoot, "pretrain", "--config", "configs/train/tiny.json", "--output", dir.File("pre"), "--max-steps", "2", "--threads", "1");
        Assert.True(pre.ExitCode == 0, pre.StdErr);
        var model = dir.File("pre/final");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        config["hidden_dropout_prob"] = 0.0;
        config["attention_probs_dropout_prob"] = 0.0;
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());

        string[] Args(string output) =>
        [
            "finetune", "--model", model, "--train", Prom + "train.csv", "--dev", Prom + "dev.csv", "--test", Prom + "test.csv",
            "--max-length", "32", "--max-steps", "6", "--global-batch", "8", "--micro-batch", "4", "--eval-steps", "3",
            "--warmup-steps", "2", "--lr", "1e-3", "--threads", "1", "--output", output,
        ];

        var single = CliRunner.RunIn(TestPaths.RepoRoot, Args(dir.File("single")));
        Assert.True(single.ExitCode == 0, single.StdErr);

        var two = CliRunner.RunMpi(mpirun!, 2, TestPaths.RepoRoot, Args(dir.File("two")));
        Assert.True(two.ExitCode == 0, two.StdOut + two.StdErr);
        // Only rank 0 prints the results path: printed twice would mean two independent worlds of one.
        Assert.Single(two.StdOut.Split('\n'), l => l.TrimEnd().EndsWith("results.json", StringComparison.Ordinal));

        // Same outputs, written once (rank 1 writes nothing of its own).
        static string[] Files(string d) => Directory.GetFiles(d, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(d, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Files(dir.File("single")), Files(dir.File("two")));

        using var a = JsonDocument.Parse(File.ReadAllText(dir.File("single/results.json")));
        using var b = JsonDocument.Parse(File.ReadAllText(dir.File("two/results.json")));
        Assert.Equal(a.RootElement.GetProperty("test_loss").GetDouble(), b.RootElement.GetProperty("test_loss").GetDouble(), 1e-4);
        foreach (var metric in new[] { "mcc", "f1", "accuracy" })
            Assert.Equal(a.RootElement.GetProperty("test").GetProperty(metric).GetDouble(), b.RootElement.GetProperty("test").GetProperty(metric).GetDouble(), 1e-9);

        // Training losses per step (rank 0's metrics: the loss summed over both ranks' halves of the global batch).
        static double[] Losses(string metrics) => File.ReadAllLines(metrics)
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o["kind"]?.GetValue<string>() == "train" && o["loss"] is not null)
            .Select(o => o["loss"]!.GetValue<double>()).ToArray();
        var la = Losses(dir.File("single/metrics.jsonl"));
        var lb = Losses(dir.File("two/metrics.jsonl"));
        Assert.NotEmpty(la);
        Assert.Equal(la.Length, lb.Length);
        for (int i = 0; i < la.Length; i++) Assert.Equal(la[i], lb[i], 1e-4);
    }
}
