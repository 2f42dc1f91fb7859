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
        Assert.Equal("cpu", doc.RootElement.GetProperty("backend").GetString());
    }

    [Fact]
    public void Native_memory_policy_is_retain_by_default_and_chosen_by_DNAFM_MALLOC()
    {
        var byDefault = CliRunner.RunWithEnvironment(new Dictionary<string, string?> { ["DNAFM_MALLOC"] = null }, "info");
        Assert.True(byDefault.ExitCode == 0, byDefault.StdErr);
        Assert.Matches(@"native memory\s+retain \(no mmap for big blocks", byDefault.StdOut);
        var off = CliRunner.RunWithEnvironment(new Dictionary<string, string?> { ["DNAFM_MALLOC"] = "default" }, "info");
        Assert.Matches(@"native memory\s+default \(glibc as it comes\)", off.StdOut);
        var bad = CliRunner.RunWithEnvironment(new Dictionary<string, string?> { ["DNAFM_MALLOC"] = "sometimes" }, "info");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("error: DNAFM_MALLOC='sometimes' is not allowed; allowed values: retain, default", bad.StdErr);
        Assert.DoesNotContain("   at ", bad.StdErr);
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
