namespace DnaFoundation.Cli.Tests;

public class FoundationCommandTests
{
    [Fact]
    public void Info_reports_versions_devices_and_loaded_torch()
    {
        var r = CliRunner.Run("info");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("torchsharp", r.StdOut);
        Assert.Contains("0.107", r.StdOut);
        Assert.Matches(@"libtorch\s+2\.\d+", r.StdOut);
        Assert.Matches(@"torch\s+loaded", r.StdOut);
        Assert.Matches(@"devices\s+cpu", r.StdOut);
        Assert.Contains(".NET 10", r.StdOut);
    }

    [Fact]
    public void Info_json_is_machine_readable()
    {
        var r = CliRunner.Run("info", "--json");
        Assert.Equal(0, r.ExitCode);
        var doc = System.Text.Json.JsonDocument.Parse(r.StdOut);
        Assert.Equal("loaded", doc.RootElement.GetProperty("torch").GetString());
        Assert.Equal("cpu", doc.RootElement.GetProperty("build backend").GetString());
    }

    [Fact]
    public void Help_lists_commands_and_examples()
    {
        var r = CliRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("info", r.StdOut);
        Assert.Contains("Examples:", r.StdOut);
        var info = CliRunner.Run("info", "--help");
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("dnafm info --json", info.StdOut);
    }

    [Fact]
    public void Unknown_command_is_a_one_line_error_and_non_zero_exit()
    {
        var r = CliRunner.Run("nonsense");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: Unrecognized command or argument 'nonsense'", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr); // no stack trace
    }

    [Fact]
    public void Unknown_option_is_an_error()
    {
        var r = CliRunner.Run("info", "--frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--frobnicate", r.StdErr);
    }
}
