using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;

namespace DnaFoundation.Cli.Tests;

public class ConsoleProgressTests
{
    [Fact]
    public void Format_shows_bar_percent_rate_and_eta()
    {
        var line = ConsoleProgress.Format(new ProgressInfo("shard", 500, 1000, "bp", "chr20"), TimeSpan.FromSeconds(10));
        Assert.Equal("shard [############............] 50.0% 500/1,000 bp 50.0 bp/s ETA 00:00:10 chr20", line);
    }

    [Fact]
    public void Format_without_total_shows_count_and_rate()
    {
        var line = ConsoleProgress.Format(new ProgressInfo("read", 2_500_000, null, "bp"), TimeSpan.FromSeconds(1));
        Assert.Equal("read 2,500,000 bp 2.5M bp/s", line);
    }

    [Fact]
    public void Redirected_output_gets_plain_lines_not_redraws()
    {
        var sw = new StringWriter();
        var p = new ConsoleProgress(sw, interactive: false);
        for (int i = 0; i <= 100; i++) p.Report(new ProgressInfo("x", i, 100, "steps"));
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain("\r", sw.ToString());
        Assert.InRange(lines.Length, 1, 3); // the first report and the final one, not 101 lines
        Assert.Contains("100/100", lines[^1]);
    }
}
