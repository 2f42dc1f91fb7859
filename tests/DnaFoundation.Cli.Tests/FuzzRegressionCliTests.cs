using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The two crashes of issue 19's mutation test, through the real dnafm executable: each input (committed under
/// tests/fixtures/fuzz-regressions, where the fuzz harnesses replay it too) is now one line naming the file and
/// exit 2 — it used to be exit 1 with no file or position.
/// </summary>
public class FuzzRegressionCliTests
{
    private static string Regression(string target, string file) => TestPaths.Fixture("fuzz-regressions", target, file);

    [Fact]
    public void A_config_json_with_a_duplicated_key_is_an_input_error_naming_the_file_and_line()
    {
        using var tmp = new TempDir("fuzz-cli");
        var model = Directory.CreateDirectory(tmp.File("model")).FullName;
        File.Copy(Regression("hf-config", "crash-01-config.json"), Path.Combine(model, "config.json"));
        var r = CliRunner.Run("model", "info", "--model", model);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: {Path.Combine(model, "config.json")}:19: not valid JSON: duplicate key 'initializer_range'", line);
    }

    [Fact]
    public void A_non_integer_id_in_tokenizer_json_is_an_input_error_naming_the_key()
    {
        using var tmp = new TempDir("fuzz-cli");
        var tokenizer = Regression("tokenizer-json", "non-integer-id-tokenizer.json");
        var r = CliRunner.Run("tokenizer", "encode", "-t", tokenizer, "-i", Path.Combine(TestPaths.RepoRoot, "samples", "gue", "prom_core_all", "dev.csv"), "-o", tmp.File("ids.jsonl"));
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: {tokenizer}: model.vocab['A'] = 5.5 is not an integer id", line);
        Assert.False(File.Exists(tmp.File("ids.jsonl")));
    }
}
