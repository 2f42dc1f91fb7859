using System.Text.Json;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.TestSupport;
using Microsoft.Extensions.Logging;

namespace DnaFoundation.Cli.Tests;

public class RunLogTests
{
    [Fact]
    public void Json_lines_log_file_gets_one_object_per_event()
    {
        using var dir = new TempDir("log");
        using (var log = RunLog.Create(dir.Path))
        {
            log.Information("step {Step} loss {Loss}", 3, 2.5);
        }
        var lines = File.ReadAllLines(Path.Combine(dir.Path, RunLog.FileName));
        var evt = JsonDocument.Parse(lines.Single()).RootElement;
        Assert.Equal(3, evt.GetProperty("Step").GetInt32());
        Assert.Equal(2.5, evt.GetProperty("Loss").GetDouble());
    }

    [Fact]
    public void The_libraries_logger_writes_the_same_structured_events()
    {
        using var dir = new TempDir("log-lib");
        using (var log = RunLog.Create(dir.Path))
        {
            RunLog.ForLibraries(log).LogWarning("step {Step} loss {Loss}", 4, 1.5);
        }
        var evt = JsonDocument.Parse(File.ReadAllLines(Path.Combine(dir.Path, RunLog.FileName)).Single()).RootElement;
        Assert.Equal("Warning", evt.GetProperty("@l").GetString());
        Assert.Equal(4, evt.GetProperty("Step").GetInt32());
        Assert.Equal(1.5, evt.GetProperty("Loss").GetDouble());
    }
}
