using System.Text.Json;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Gue;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Evaluation.Tests.Gue;

public class GueDiscoveryAndReportTests
{
    private static void Task(TempDir d, string name, params string[] splits)
    {
        var dir = Path.Combine(d.Path, name);
        Directory.CreateDirectory(dir);
        foreach (var s in splits) File.WriteAllText(Path.Combine(dir, s), "sequence,label\nACGT,0\nTTTT,1\n");
    }

    [Fact]
    public void Discovers_task_folders_by_relative_name()
    {
        using var d = new TempDir("gue");
        Task(d, "tf/0", "train.csv", "dev.csv", "test.csv");
        Task(d, "prom/prom_300_all", "dev.csv", "test.csv");
        Directory.CreateDirectory(Path.Combine(d.Path, "empty"));
        var tasks = GueTaskDiscovery.Discover(d.Path);
        Assert.Equal(["prom/prom_300_all", "tf/0"], tasks.Select(t => t.Name));
        Assert.Null(tasks[1].MissingSplit());
        Assert.Equal("train.csv absent", tasks[0].MissingSplit());
    }

    [Fact]
    public void Unknown_task_names_list_what_exists()
    {
        using var d = new TempDir("gue");
        Task(d, "tf/0", "train.csv", "dev.csv", "test.csv");
        Assert.Single(GueTaskDiscovery.Select(d.Path, ["tf/0"]));
        var e = Assert.Throws<DnaInputException>(() => GueTaskDiscovery.Select(d.Path, ["tf/0,tf/9"]));
        Assert.Contains("'tf/9'", e.Message);
        Assert.Contains("found: tf/0", e.Message);
    }

    [SkippableFact]
    public void Shared_gue_copy_has_the_expected_tasks()
    {
        var root = TestPaths.Shared("gue");
        var tasks = GueTaskDiscovery.Discover(root).ToDictionary(t => t.Name);
        Assert.Contains("prom/prom_core_all", tasks.Keys);
        Assert.Null(tasks["tf/0"].MissingSplit());
        Assert.Equal("train.csv absent", tasks["prom/prom_300_all"].MissingSplit());
        var published = GuePublishedScores.Embedded();
        Assert.All(tasks.Keys, k => Assert.NotNull(published.Find(k))); // every folder maps onto a paper row
    }

    [Fact]
    public void Report_records_overrides_and_not_run_tasks()
    {
        var settings = GuePinnedSettings.Embedded().For("tf/0", [new("epochs", "1")]);
        var published = GuePublishedScores.Embedded();
        var seeds = new[]
        {
            new GueSeedResult(1, new Dictionary<string, double> { ["mcc"] = 0.5, ["f1"] = 0.7, ["accuracy"] = 0.75 }, new Dictionary<string, double> { ["loss"] = 0.6 }, 10, 20, 1.5),
            new GueSeedResult(2, new Dictionary<string, double> { ["mcc"] = 0.7, ["f1"] = 0.8, ["accuracy"] = 0.85 }, new Dictionary<string, double> { ["loss"] = 0.5 }, 20, 20, 1.5),
        };
        var results = new GueRunResults("tiny", "/data/gue", "2025-01-01T00:00:00Z", "pinned", GuePublishedScores.Citation,
            new Dictionary<string, string> { ["epochs"] = "1" }, [1, 2], "cpu",
            [
                GueTaskResult.Completed("tf/0", settings, seeds, published.Find("tf/0")!.Mcc),
                GueTaskResult.NotRunBecause("prom/prom_300_all", "train.csv absent", published.Find("prom/prom_300_all")!.Mcc),
            ]);
        var tf = results.Tasks[0];
        Assert.Equal(0.6, tf.Mean["mcc"], 12);
        Assert.Equal(Math.Sqrt(0.02), tf.Sd["mcc"], 12);

        using var d = new TempDir("gue-report");
        GueReportWriter.Write(results, d.Path);
        using var json = JsonDocument.Parse(File.ReadAllText(d.File("results.json")));
        var root = json.RootElement;
        Assert.Equal("1", root.GetProperty("overrides").GetProperty("epochs").GetString());
        var t0 = root.GetProperty("tasks")[0];
        Assert.Equal(1.0, t0.GetProperty("settings").GetProperty("epochs").GetDouble());
        Assert.Equal(0.6, t0.GetProperty("mean").GetProperty("mcc").GetDouble(), 12);
        Assert.Equal(2, t0.GetProperty("seeds").GetArrayLength());
        var t1 = root.GetProperty("tasks")[1];
        Assert.Equal("not run", t1.GetProperty("status").GetString());
        Assert.Equal("train.csv absent", t1.GetProperty("reason").GetString());

        var md = File.ReadAllText(d.File("results.md"));
        Assert.Contains("| tf/0 | 60.00 ± 14.14 |", md);
        Assert.Contains("| 66.84 | 66.64 | 71.99 |", md);
        Assert.Contains("not run: train.csv absent", md);
        Assert.Contains("`epochs=1`", md);
        Assert.Empty(Directory.GetFiles(d.Path, ".*tmp*"));
    }
}
