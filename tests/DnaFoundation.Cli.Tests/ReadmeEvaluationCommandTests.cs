using System.Text.Json;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The README's `bench gue` and `model convert` examples through the real executable (their libraries are tested
/// against references elsewhere: the harness in the Evaluation tests, the pickle reader against PyTorch's own
/// safetensors twin in the Model tests).
/// </summary>
public class ReadmeEvaluationCommandTests
{
    [Fact]
    public void Bench_gue_runs_a_task_over_seeds_beside_the_published_mcc_and_records_its_overrides()
    {
        using var dir = new TempDir("readme-gue");
        // A GUE-shaped root with the real prom_core_all slice the repository ships (first rows of each split).
        var task = Path.Combine(dir.Path, "gue", "prom", "prom_core_all");
        Directory.CreateDirectory(task);
        foreach (var (split, rows) in new[] { ("train", 96), ("dev", 32), ("test", 64) })
            File.WriteAllLines(Path.Combine(task, split + ".csv"),
                File.ReadLines(Path.Combine(TestPaths.RepoRoot, "samples", "gue", "prom_core_all", split + ".csv")).Take(rows + 1));

        var r = CliRunner.RunIn(TestPaths.RepoRoot, "bench", "gue", "--data", dir.File("gue"), "--model", "tiny", "--tokenizer", "kmer:6",
            "--tasks", "prom/prom_core_all", "--seeds", "2", "--max-steps", "2", "--micro-batch", "16", "--threads", "1", "--output", dir.File("out"));
        Assert.True(r.ExitCode == 0, r.StdErr);

        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("out/results.json")));
        var text = json.RootElement.GetRawText();
        Assert.Equal("2", json.RootElement.GetProperty("overrides").GetProperty("max_steps").GetString());
        Assert.Contains("prom/prom_core_all", text);
        Assert.True(File.Exists(dir.File("out/runs/prom_prom_core_all/seed-42/metrics.jsonl")));
        Assert.True(File.Exists(dir.File("out/runs/prom_prom_core_all/seed-43/metrics.jsonl")));
        // The Markdown table sits beside the published MCC of DNABERT-2 (69.37 on prom_core_all, stored as data).
        var md = File.ReadAllText(dir.File("out/results.md"));
        Assert.Contains("prom/prom_core_all", md);
        Assert.Contains("69.37", md);
    }

    private static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void Model_convert_turns_a_pytorch_pickle_into_the_safetensors_pytorch_itself_saved()
    {
        using var dir = new TempDir("readme-convert");
        var r = CliRunner.Run("model", "convert", TestPaths.Fixture("model", "pickle", "bert"), "-o", dir.File("converted"));
        Assert.True(r.ExitCode == 0, r.StdErr);

        // The twin: the same weights written by PyTorch's safetensors (tests/reference), the independent reference.
        var ours = Safetensors.Load(dir.File("converted/model.safetensors"));
        var reference = Safetensors.Load(TestPaths.Fixture("model", "parity", "bert", "model.safetensors"));
        // Every weight of the twin, bit for bit. The twin omits the constant `position_ids` buffer (arange) that newer
        // transformers versions do not pickle, and safetensors stores tied tensors once, where the pickle also names
        // the MLM decoder (tied to the word embeddings and the prediction bias).
        var weights = reference.Keys.Where(k => !k.EndsWith(".position_ids", StringComparison.Ordinal)).ToList();
        foreach (var name in weights)
        {
            Assert.True(ours.ContainsKey(name), $"{name} missing from the converted file");
            Assert.True(Same(reference[name], ours[name]), $"{name} differs");
        }
        var tied = new Dictionary<string, string>
        {
            ["cls.predictions.decoder.weight"] = "bert.embeddings.word_embeddings.weight",
            ["cls.predictions.decoder.bias"] = "cls.predictions.bias",
        };
        foreach (var extra in ours.Keys.Except(weights))
        {
            Assert.True(tied.TryGetValue(extra, out var of), $"unexpected tensor {extra}");
            Assert.True(Same(ours[extra], reference[of]), $"{extra} is not the tied {of}");
        }
        Assert.True(File.Exists(dir.File("converted/config.json")));

        // A file that is not a torch pickle is a clear error and leaves nothing.
        File.WriteAllText(dir.File("junk.bin"), "not a pickle");
        File.Copy(TestPaths.Fixture("model", "pickle", "bert", "config.json"), dir.File("config.json"));
        var bad = CliRunner.Run("model", "convert", dir.File("junk.bin"), "-o", dir.File("bad"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("junk.bin (byte 0): not a zip-format torch.save file", bad.StdErr);
        Assert.False(File.Exists(dir.File("bad/model.safetensors")));
    }
}
