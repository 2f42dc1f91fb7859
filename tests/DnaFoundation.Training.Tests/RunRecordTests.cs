using System.Text.Json;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Runs;

namespace DnaFoundation.Training.Tests;

public class RunRecordTests
{
    private sealed record SampleConfig(int Steps, double Lr);

    [Fact]
    public void Run_json_records_config_seed_versions_times_and_status()
    {
        using var dir = new TempDir("run");
        var rec = RunRecord.Start(dir.Path, "pretrain", new SampleConfig(10, 1e-3), seed: 42, device: "cpu");
        var running = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "run.json"))).RootElement;
        Assert.Equal("running", running.GetProperty("status").GetString());
        rec.Complete();

        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "run.json"))).RootElement;
        Assert.Equal("pretrain", doc.GetProperty("command").GetString());
        Assert.Equal(10, doc.GetProperty("config").GetProperty("steps").GetInt32());
        Assert.Equal(42, doc.GetProperty("seed").GetInt64());
        Assert.Equal("cpu", doc.GetProperty("device").GetString());
        Assert.Equal("succeeded", doc.GetProperty("status").GetString());
        Assert.StartsWith("0.107", doc.GetProperty("versions").GetProperty("torchsharp").GetString());
        Assert.True(DateTimeOffset.Parse(doc.GetProperty("end_time").GetString()!) >= DateTimeOffset.Parse(doc.GetProperty("start_time").GetString()!));
        Assert.False(File.Exists(Path.Combine(dir.Path, "run.json.tmp")));
    }

    [SkippableFact]
    public void Git_commit_is_found_when_running_from_a_checkout()
    {
        // Tests run from bin/ inside the repository checkout (CI clones it), so the commit is known.
        var commit = RunRecord.GitCommit();
        Skip.If(commit is null && !Directory.Exists(Path.Combine(TestPaths.RepoRoot, ".git")) && !File.Exists(Path.Combine(TestPaths.RepoRoot, ".git")),
            "not running from a git checkout");
        Assert.Matches("^[0-9a-f]{40}$", commit!);
    }
}
