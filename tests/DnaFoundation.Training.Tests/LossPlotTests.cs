using System.Text.Json.Nodes;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Observability;

namespace DnaFoundation.Training.Tests;

public class LossPlotTests
{
    private static JsonObject Line(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void Plots_every_loss_of_each_kind_but_not_the_fp16_loss_scale()
    {
        var records = new[]
        {
            Line("""{"step": 10, "kind": "train", "loss": 7.1, "loss_mlm": 7.0, "loss_region": 0.1, "loss_scale": 65536, "lr": 0.001}"""),
            Line("""{"step": 20, "kind": "train", "loss": 6.9, "loss_mlm": 6.8, "loss_region": 0.1, "loss_scale": 65536, "lr": 0.001}"""),
            Line("""{"step": 20, "kind": "eval", "loss": 6.95}"""),
        };
        Assert.Equal(["loss", "loss_mlm", "loss_region"], LossPlot.SeriesKeys(records, "train"));
        Assert.Equal(["loss"], LossPlot.SeriesKeys(records, "eval"));

        using var dir = new TempDir("lossplot");
        File.WriteAllLines(dir.File("metrics.jsonl"), records.Select(r => r.ToJsonString()));
        LossPlot.Write(dir.File("metrics.jsonl"), dir.File("loss.png"), "test", new Dictionary<string, double> { ["unigram"] = 7.2 });
        var png = File.ReadAllBytes(dir.File("loss.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.False(File.Exists(dir.File("loss.png.tmp.png")));
    }
}
