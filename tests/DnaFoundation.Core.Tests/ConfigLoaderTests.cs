using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Core.Tests;

public enum Schedule { Linear, Cosine, ConstantWithWarmup }

public sealed record OptimConfig([property: Range(0.0, 1.0)] double Beta2 = 0.98);

public sealed record SampleConfig(
    [property: Range(1e-8, 1.0)] double Lr = 5e-4,
    [property: Range(1, 1_000_000)] int BatchSize = 32,
    Schedule Schedule = Schedule.Linear,
    [property: AllowedValues("cpu", "cuda", "auto")] string Device = "auto",
    OptimConfig? Optim = null);

public class ConfigLoaderTests
{
    private static string Write(TempDir dir, string json)
    {
        var path = dir.File("cfg.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Binds_snake_case_keys_enums_and_nested_records()
    {
        using var dir = new TempDir();
        var cfg = ConfigLoader.Load<SampleConfig>(Write(dir, """{ "lr": 1e-3, "batch_size": 8, "schedule": "constant-with-warmup", "optim": { "beta2": 0.95 } }"""));
        Assert.Equal(1e-3, cfg.Lr);
        Assert.Equal(8, cfg.BatchSize);
        Assert.Equal(Schedule.ConstantWithWarmup, cfg.Schedule);
        Assert.Equal(0.95, cfg.Optim!.Beta2);
        Assert.Equal("auto", cfg.Device);
    }

    [Fact]
    public void Unknown_key_names_file_key_and_allowed_keys()
    {
        using var dir = new TempDir();
        var path = Write(dir, """{ "lr": 1e-3, "batchsize": 8 }""");
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("unknown key 'batchsize'", e.Message);
        Assert.Contains("batch_size", e.Message);
    }

    [Fact]
    public void Unknown_nested_key_is_named_with_its_path()
    {
        using var dir = new TempDir();
        var path = Write(dir, """{ "optim": { "beta3": 0.9 } }""");
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path));
        Assert.Contains("unknown key 'optim.beta3'", e.Message);
    }

    [Fact]
    public void Wrong_type_names_the_key()
    {
        using var dir = new TempDir();
        var path = Write(dir, """{ "batch_size": "eight" }""");
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'batch_size'", e.Message);
    }

    [Fact]
    public void Out_of_range_value_names_key_and_range()
    {
        using var dir = new TempDir();
        var path = Write(dir, """{ "optim": { "beta2": 1.5 } }""");
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path));
        Assert.Contains("'optim.beta2'", e.Message);
        Assert.Contains("allowed range: 0 to 1", e.Message);
    }

    [Fact]
    public void Bad_enum_and_allowed_value_list_the_choices()
    {
        using var dir = new TempDir();
        var e1 = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(Write(dir, """{ "schedule": "step" }""")));
        Assert.Contains("allowed values: linear, cosine, constant-with-warmup", e1.Message);
        var e2 = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(Write(dir, """{ "device": "tpu" }""")));
        Assert.Contains("'device'", e2.Message);
        Assert.Contains("allowed values: 'cpu', 'cuda', 'auto'", e2.Message);
    }

    [Fact]
    public void Malformed_json_names_file_and_line()
    {
        using var dir = new TempDir();
        var path = Write(dir, "{\n  \"lr\": 1e-3,\n  \"batch_size\": \n}");
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path));
        Assert.StartsWith(path + ":4", e.Message);
    }

    [Fact]
    public void Overrides_apply_before_validation()
    {
        using var dir = new TempDir();
        var path = Write(dir, """{ "lr": 1e-3 }""");
        var cfg = ConfigLoader.Load<SampleConfig>(path, ["lr=2e-4", "optim.beta2=0.9", "device=cpu"]);
        Assert.Equal(2e-4, cfg.Lr);
        Assert.Equal(0.9, cfg.Optim!.Beta2);
        Assert.Equal("cpu", cfg.Device);
        Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path, ["nope=1"]));
        Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path, ["batch_size=0"]));
    }

    [Fact]
    public void Missing_file_is_an_input_error()
    {
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>("/nonexistent/cfg.json"));
        Assert.Contains("/nonexistent/cfg.json", e.Message);
    }
}
