using DnaFoundation.Core;
using DnaFoundation.Evaluation.Gue;

namespace DnaFoundation.Evaluation.Tests.Gue;

public class GueTableTests
{
    [Fact]
    public void Published_table_has_28_tasks_and_the_papers_averages()
    {
        var t = GuePublishedScores.Embedded();
        Assert.Equal(28, t.Rows.Count());
        // The paper's "Average" row: DNABERT 6-mer 60.51, 3-mer 61.62, NT-2500M-multi 66.93, DNABERT-2 66.80, DNABERT-2♦ 67.77.
        Assert.InRange(t.Average("dnabert_6mer"), 60.51 - 0.006, 60.51 + 0.006);
        Assert.InRange(t.Average("dnabert_3mer"), 61.62 - 0.006, 61.62 + 0.006);
        Assert.InRange(t.Average("nt_2500m_multi"), 66.93 - 0.006, 66.93 + 0.006);
        Assert.InRange(t.Average("dnabert2"), 66.80 - 0.006, 66.80 + 0.006);
        Assert.InRange(t.Average("dnabert2_plus"), 67.77 - 0.006, 67.77 + 0.006);
    }

    [Fact]
    public void Published_rows_are_keyed_by_task_folder()
    {
        var t = GuePublishedScores.Embedded();
        var core = t.Find("prom/prom_core_all")!;
        Assert.Equal(68.90, core.Mcc["dnabert_6mer"]);
        Assert.Equal(70.33, core.Mcc["nt_2500m_multi"]);
        Assert.Equal(69.37, core.Mcc["dnabert2"]);
        Assert.Equal(71.99, t.Find("tf/0")!.Mcc["dnabert2"]);
        Assert.Null(t.Find("no/such"));
    }

    [Fact]
    public void Published_table_parser_names_the_bad_line()
    {
        var e = Assert.Throws<DnaInputException>(() => GuePublishedScores.Parse(new StringReader("task\tpaper_name\tm\nx\tX\tnot-a-number\n"), "t.tsv"));
        Assert.Equal(2, e.Line);
        Assert.Contains("not a number", e.Message);
    }

    [Fact]
    public void Pinned_settings_follow_the_dnabert2_script()
    {
        var p = GuePinnedSettings.Embedded();
        var core = p.For("prom/prom_core_all");
        Assert.Equal(3e-5, core.LearningRate);
        Assert.Equal(32, core.GlobalBatch);
        Assert.Equal(20, core.MaxLength);
        Assert.Equal(4, core.Epochs);
        Assert.Equal(400, core.EvalSteps);
        Assert.Equal("dev-loss", core.SelectBy);
        var tf = p.For("tf/0");
        Assert.Equal(30, tf.MaxLength);
        Assert.Equal(3, tf.Epochs);
        Assert.Equal(30, tf.WarmupSteps);
        Assert.Equal(10, p.For("prom/prom_core_tata").Epochs);
        Assert.Equal(128, p.For("EMP/H3K4me3").MaxLength);
        Assert.Equal(1000, p.For("mouse/1").MaxSteps);
        Assert.Equal(256, p.For("virus/covid").MaxLength);
        Assert.Equal(0.01, p.For("splice/reconstructed").WeightDecay);
        Assert.True(p.Covers("tf/4"));
        Assert.False(p.Covers("my/own_task"));
    }

    [Fact]
    public void Overrides_replace_pinned_values_and_are_checked()
    {
        var p = GuePinnedSettings.Embedded();
        var s = p.For("tf/0", [new("epochs", "0.5"), new("micro_batch", "8")]);
        Assert.Equal(0.5, s.Epochs);
        Assert.Equal(4, s.AccumulationSteps);
        Assert.Equal(30, s.MaxLength);
        var unknown = Assert.Throws<DnaInputException>(() => p.For("tf/0", [new("epoch", "1")]));
        Assert.Contains("unknown key 'epoch'", unknown.Message);
        var uneven = Assert.Throws<DnaInputException>(() => p.For("tf/0", [new("micro_batch", "5")]));
        Assert.Contains("multiple of 'micro_batch'", uneven.Message);
        var range = Assert.Throws<DnaInputException>(() => p.For("tf/0", [new("select_by", "\"dev-auc\"")]));
        Assert.Contains("allowed values", range.Message);
    }
}
