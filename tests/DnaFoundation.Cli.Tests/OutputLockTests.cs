using System.Diagnostics;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// One writer per output, with real processes: a running <c>dnafm pretrain</c> holds <c>OUTPUT.lock</c>; a second
/// command on the same output is refused with exit 2 and the holder named; once the holder is killed (SIGKILL, so
/// it cannot clean up) its lock is stale and the next command replaces it with a warning.
/// </summary>
public class OutputLockTests
{
    [Fact]
    public void A_second_command_on_a_busy_output_is_refused_and_a_dead_holders_lock_is_replaced()
    {
        using var tmp = new TempDir("lock");
        var output = tmp.File("run");
        var lockFile = output + ".lock";
        var config = Path.Combine(TestPaths.RepoRoot, "configs", "train", "tiny.json");
        string[] pretrain = ["pretrain", "--config", config, "--output", output, "--threads", "1", "--max-steps", "1000000", "--checkpoint-every", "1000000"];

        using var holder = Start(pretrain);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(120);
            // The lock file is created first and its content written just after: wait for the whole line.
            string Text() => File.Exists(lockFile) ? File.ReadAllText(lockFile) : "";
            while (!Text().EndsWith('\n') && !holder.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(100);
            var text = Text();
            Assert.True(text.EndsWith('\n'), "the running pretrain never took its lock");
            Assert.Contains($"\"pid\": {holder.Id}", text.Replace("\"pid\":", "\"pid\": "));
            Assert.Contains(Environment.MachineName, text);

            var refused = CliRunner.Run(["data", "shard", "-m", Path.Combine(TestPaths.RepoRoot, "data-manifests", "quickstart-sample.json"), "-o", output]);
            Assert.Equal(2, refused.ExitCode);
            var line = Assert.Single(refused.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: {lockFile}: 'dnafm pretrain' (pid {holder.Id} on {Environment.MachineName}", line);
            Assert.Contains("is writing this output", line);
        }
        finally
        {
            holder.Kill();                      // SIGKILL: the lock stays behind, now stale
            holder.WaitForExit();
        }
        Assert.True(File.Exists(lockFile));

        // The next writer detects the dead holder, replaces its lock, runs, and removes the lock when done.
        var next = CliRunner.Run(["tokenizer", "train", "-i", Path.Combine(TestPaths.RepoRoot, "fuzz", "fixtures", "genome", "ref.fa"), "--vocab-size", "40", "-o", Path.Combine(output, "bpe", "tokenizer.json")]);
        var tokenizerLock = Path.Combine(output, "bpe", "tokenizer.json.lock");
        Assert.Equal(0, next.ExitCode);
        Assert.False(File.Exists(tokenizerLock));
        var resumed = CliRunner.Run([.. pretrain[..^4], "--max-steps", "1", "--checkpoint-every", "1000", "--resume", "auto"]);
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        Assert.Contains($"warning: replacing the stale lock {lockFile}", resumed.StdErr);
        Assert.False(File.Exists(lockFile));
    }

    private static Process Start(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dnafm.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }
}
