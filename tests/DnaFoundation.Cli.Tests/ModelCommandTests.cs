using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Cli.Tests;

public class ModelCommandTests
{
    [Fact]
    public void Model_info_prints_the_exact_parameter_count()
    {
        var r = CliRunner.Run("model", "info", "--model", "dnabert2-117m");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("BertForMaskedLM", r.StdOut);
        Assert.Contains("alibi", r.StdOut);
        Assert.Contains("117,074,176", r.StdOut);
        var json = CliRunner.Run("model", "info", "--model", "nt-v2-50m", "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json.StdOut);
        Assert.Equal(54_855_179, doc.RootElement.GetProperty("parameters").GetInt64());
        Assert.Equal("esm", doc.RootElement.GetProperty("config").GetProperty("model_type").GetString());
    }

    [Fact]
    public void Model_forward_reproduces_the_pytorch_reference()
    {
        var dir = TestPaths.Fixture("model", "parity", "esm");
        var io = Safetensors.Load(Path.Combine(dir, "io.safetensors"));
        using var tmp = new TempDir("fwd");
        var ids = io["input_ids"];
        var mask = io["attention_mask"];
        var lines = new List<string>();
        for (int i = 0; i < ids.shape[0]; i++)
        {
            int n = (int)mask[i].sum().item<long>();
            lines.Add($"{{\"ids\": [{string.Join(", ", ids[i].data<long>().Take(n))}]}}");
        }
        File.WriteAllLines(tmp.File("in.jsonl"), lines);
        var r = CliRunner.Run("model", "forward", "--model", dir, "--input", tmp.File("in.jsonl"), "--output", tmp.File("out.safetensors"), "--batch-size", "2");
        Assert.True(r.ExitCode == 0, r.StdErr);
        var output = Safetensors.Load(tmp.File("out.safetensors"));
        var keep = mask.to(ScalarType.Bool).unsqueeze(-1);
        Assert.Equal(io["last_hidden_state"].shape, output["last_hidden_state"].shape);
        Assert.True((io["last_hidden_state"] - output["last_hidden_state"]).abs().masked_select(keep.expand_as(output["last_hidden_state"])).max().item<float>() < 1e-4);
        Assert.True((io["logits"] - output["logits"]).abs().masked_select(keep.expand_as(output["logits"])).max().item<float>() < 1e-4);
        Assert.Equal(0f, output["last_hidden_state"][2, 5].abs().sum().item<float>());     // padding is zero
    }

    [Fact]
    public void Model_forward_names_the_bad_line()
    {
        using var tmp = new TempDir("fwdbad");
        File.WriteAllLines(tmp.File("in.jsonl"), ["{\"ids\": [5, 6]}", "{\"ids\": [5, 6], \"attention_mask\": [1]}"]);
        var r = CliRunner.Run("model", "forward", "--model", TestPaths.Fixture("model", "parity", "bert"), "--input", tmp.File("in.jsonl"), "--output", tmp.File("o.safetensors"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("in.jsonl:2: attention_mask has 1 entries, ids has 2", r.StdErr);
        Assert.False(File.Exists(tmp.File("o.safetensors")));
    }
}
