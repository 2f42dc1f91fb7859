using System.Text.Json;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The README's first command, shortened (a few pretraining steps, a fraction of an epoch) so the suite stays quick:
/// every step must run as a normal dnafm command and the report must carry every section with real numbers.
/// </summary>
public class QuickstartTests
{
    [Fact]
    public void Quickstart_runs_every_step_and_writes_the_report()
    {
        using var dir = new TempDir("quickstart");
        var r = CliRunner.RunIn(TestPaths.RepoRoot, "quickstart", "--output", dir.Path, "--pretrain-steps", "4", "--finetune-epochs", "0.1", "--threads", "2");
        Assert.True(r.ExitCode == 0, r.StdErr);

        var report = File.ReadAllText(Path.Combine(dir.Path, "report.md"));
        foreach (var section in new[] { "## Summary", "## Pretraining", "## Fine-tuning on GUE prom_core_all", "## Variant effects", "## Promoter track on chr20 (predict)", "## Attention map", "## The commands" })
            Assert.Contains(section, report);
        foreach (var command in new[] { "dnafm tokenizer train", "dnafm data shard", "dnafm pretrain", "dnafm finetune", "dnafm score-variants", "dnafm predict", "dnafm attention" })
            Assert.Contains(command, report);
        Assert.Matches(@"prom_core_all test MCC \| -?\d\.\d{3}", report);
        Assert.Contains("Clinvar179", report);

        Assert.Matches(@"\| 20:10,0\d\d,\d{3}-10,0\d\d,\d{3} \| \d\.\d{3} \|", report);
        Assert.StartsWith("track type=bedGraph", File.ReadLines(Path.Combine(dir.Path, "track", "promoters.bedgraph")).First());
        foreach (var png in new[] { "pretrain/loss.png", "finetune/confusion_test.png", "track/promoters.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir.Path, png));
            Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', png);
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir.Path, "attention"), "*.png", SearchOption.AllDirectories));

        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "run.json"))).RootElement;
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Contains("summary", r.StdOut);
        Assert.Contains("prom_core_all test MCC", r.StdOut);
    }
}
