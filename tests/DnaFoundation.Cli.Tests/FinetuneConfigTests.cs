using System.Text.Json;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// <c>finetune</c>'s settings come from one place (issue 18.2): FineTuneConfig's defaults, then <c>--config</c>, then the
/// named options, then <c>--set</c>; results.json records what the run used.
/// </summary>
public class FinetuneConfigTests
{
    private const string Prom = "samples/gue/prom_core_all/";

    private static void Slice(string from, string to, int rows) =>
        File.WriteAllLines(to, File.ReadLines(Path.Combine(TestPaths.RepoRoot, from)).Take(rows + 1));

    [Fact]
    public void A_config_file_options_and_set_overrides_layer_over_the_records_defaults()
    {
        using var dir = new TempDir("finetune-config");
        Slice(Prom + "train.csv", dir.File("train.csv"), 32);
        Slice(Prom + "dev.csv", dir.File("dev.csv"), 16);
        File.WriteAllText(dir.File("ft.json"), """
            {
              // comments are allowed, as in every config
              "learning_rate": 0.001, "epochs": 1, "max_length": 24, "global_batch": 16, "micro_batch": 8,
              "max_steps": 9, "lora": { "rank": 4 }
            }
            """);
        var r = CliRunner.RunIn(TestPaths.RepoRoot, "finetune", "--model", "tiny", "--tokenizer", "kmer:6", "--train", dir.File("train.csv"),
            "--dev", dir.File("dev.csv"), "--config", dir.File("ft.json"), "--max-steps", "2", "--set", "warmup_steps=0", "--set", "lora.alpha=8",
            "--threads", "1", "--output", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.StdErr);

        using var results = JsonDocument.Parse(File.ReadAllText(dir.File("out/results.json")));
        var c = results.RootElement.GetProperty("config");
        Assert.Equal(0.001, c.GetProperty("learning_rate").GetDouble());          // the file
        Assert.Equal(8, c.GetProperty("micro_batch").GetInt32());                 // the file
        Assert.Equal(2, c.GetProperty("max_steps").GetInt32());                   // the option over the file's 9
        Assert.Equal(0, c.GetProperty("warmup_steps").GetInt32());                // --set over the default 50
        Assert.Equal(64, c.GetProperty("eval_batch").GetInt32());                 // FineTuneConfig's default
        Assert.Equal("single-label", c.GetProperty("task").GetString());
        Assert.Equal(4, c.GetProperty("lora").GetProperty("rank").GetInt32());
        Assert.Equal(8, c.GetProperty("lora").GetProperty("alpha").GetDouble());
    }

    [Fact]
    public void An_unknown_key_in_the_config_file_is_one_line_naming_the_file_and_the_key()
    {
        using var dir = new TempDir("finetune-config-bad");
        File.WriteAllText(dir.File("ft.json"), """{ "learning_rate": 0.001, "learnig_rate": 0.01 }""");
        var r = CliRunner.RunIn(TestPaths.RepoRoot, "finetune", "--model", "tiny", "--tokenizer", "kmer:6", "--train", Prom + "train.csv",
            "--dev", Prom + "dev.csv", "--config", dir.File("ft.json"), "--output", dir.File("out"));
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("ft.json", line);
        Assert.Contains("unknown key 'learnig_rate'", line);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
