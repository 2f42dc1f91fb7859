using System.Text.Json;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>Every command that writes outputs leaves run.json and a JSON-lines log beside them; a failed one leaves nothing.</summary>
public class RunRecordCommandTests
{
    [Fact]
    public void An_output_file_gets_its_run_record_and_log_beside_it()
    {
        using var dir = new TempDir("cli-record");
        var output = dir.File("ids.jsonl");
        var r = CliRunner.Run("tokenizer", "encode", "-t", "kmer:6", "-i", Path.Combine(TestPaths.RepoRoot, "samples", "gue", "prom_core_all", "test.csv"), "-o", output);
        Assert.True(r.ExitCode == 0, r.StdErr);

        using var run = JsonDocument.Parse(File.ReadAllText(output + ".run.json"));
        var root = run.RootElement;
        Assert.Equal("tokenizer encode", root.GetProperty("command").GetString());
        Assert.Equal("succeeded", root.GetProperty("status").GetString());
        Assert.Equal(0, root.GetProperty("exit_code").GetInt32());
        Assert.Equal("kmer:6", root.GetProperty("config").GetProperty("options").GetProperty("tokenizer").GetString());
        Assert.Contains("encode", root.GetProperty("command_line").EnumerateArray().Select(e => e.GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("versions").GetProperty("torchsharp").GetString()));
        Assert.True(DateTimeOffset.Parse(root.GetProperty("end_time").GetString()!) >= DateTimeOffset.Parse(root.GetProperty("start_time").GetString()!));

        // The log holds what the command printed, one JSON object per line.
        var log = File.ReadAllLines(output + ".log.jsonl").Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(log, e => e.GetProperty("@m").GetString()!.StartsWith("wrote " + output, StringComparison.Ordinal));
    }

    [Fact]
    public void A_command_that_fails_leaves_no_record()
    {
        using var dir = new TempDir("cli-record-bad");
        var output = dir.File("ids.jsonl");
        var r = CliRunner.Run("tokenizer", "encode", "-t", "kmer:6", "-i", dir.File("missing.csv"), "-o", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void An_output_directory_gets_run_json_inside_it()
    {
        using var dir = new TempDir("cli-record-dir");
        var output = dir.File("bpe");
        var r = CliRunner.Run("tokenizer", "select", "-i", Path.Combine(TestPaths.RepoRoot, "samples", "genome", "GRCh37_chr20_sample.fa.gz"),
            "--cycles", "20,40", "--set", "max_bases=300000", "-o", output);
        Assert.True(r.ExitCode == 0, r.StdErr);
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "run.json")));
        Assert.Equal("tokenizer select", run.RootElement.GetProperty("command").GetString());
        Assert.True(File.Exists(Path.Combine(output, "log.jsonl")));
    }
}
