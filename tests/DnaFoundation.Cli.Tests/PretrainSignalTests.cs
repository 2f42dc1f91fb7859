using System.Diagnostics;
using System.Globalization;
using DnaFoundation.TestSupport;
using Xunit.Abstractions;

namespace DnaFoundation.Cli.Tests;

/// <summary>One uninterrupted run of the signal tests' recipe, made once and shared by them.</summary>
public sealed class StraightPretrainRun : IDisposable
{
    private readonly TempDir dir = new("signals-straight");
    private readonly Lazy<byte[]> weights;

    public StraightPretrainRun() => weights = new Lazy<byte[]>(() =>
    {
        var r = CliRunner.RunIn(TestPaths.RepoRoot, PretrainSignalTests.Args(dir.Path));
        Assert.True(r.ExitCode == 0, r.StdErr);
        return File.ReadAllBytes(Path.Combine(dir.Path, "final", "model.safetensors"));
    });

    public byte[] FinalWeights => weights.Value;

    public void Dispose() => dir.Dispose();
}

/// <summary>
/// The real <c>dnafm pretrain</c> process, stopped from outside: SIGKILL (no chance to save) after a checkpoint
/// exists, and SIGINT / SIGTERM (which must save a checkpoint at the step it stops). Either way <c>--resume auto</c>
/// must end with model.safetensors byte-identical to the uninterrupted run's.
/// </summary>
public class PretrainSignalTests(StraightPretrainRun straight, ITestOutputHelper output) : IClassFixture<StraightPretrainRun>
{
    private const int Steps = 24, Every = 4;

    // configs/train/tiny.json shrunk: 64-token windows, micro-batch 8 × 2 accumulation, one thread.
    internal static string[] Args(string outputDir, params string[] extra) =>
    [
        "pretrain", "--config", "configs/train/tiny.json", "--output", outputDir, "--max-steps", Steps.ToString(CultureInfo.InvariantCulture),
        "--checkpoint-every", Every.ToString(CultureInfo.InvariantCulture), "--threads", "1", "--device", "cpu",
        "--set", "max_length=64", "--set", "data.window_bp=67", "--set", "micro_batch_size=8", "--set", "global_batch_size=16",
        "--set", "eval_batches=2", "--set", "baseline_windows=64", "--set", "eval_every=0", "--set", "keep_last=3", "--set", "log_every=1", .. extra,
    ];

    [Fact]
    public void A_run_killed_with_SIGKILL_after_a_checkpoint_resumes_to_bit_identical_weights()
    {
        using var dir = new TempDir("sigkill");
        var checkpoints = Path.Combine(dir.Path, "checkpoints");
        using var run = Start(dir.Path);
        var p = run.Process;
        // After step-4 is in place, kill at the first sight of a checkpoint being written (a .tmp-* directory), or
        // at the latest when the next checkpoint has been renamed into place.
        bool midWrite = false;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(p.HasExited, "the run ended before it could be killed");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "no checkpoint appeared in 2 minutes");
            if (Directory.Exists(Path.Combine(checkpoints, "step-" + Every)))
            {
                midWrite = Directory.Exists(checkpoints) && Directory.EnumerateDirectories(checkpoints, ".tmp-*").Any();
                if (midWrite || Directory.Exists(Path.Combine(checkpoints, "step-" + 2 * Every))) break;
            }
            Thread.Sleep(2);
        }
        p.Kill();                                  // SIGKILL on Linux
        p.WaitForExit();
        Assert.Equal(128 + 9, p.ExitCode);         // died of signal 9
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "final")), "the run finished before the kill");
        var complete = Directory.GetDirectories(checkpoints, "step-*").Select(Path.GetFileName).Order().ToList();
        var temps = Directory.GetDirectories(checkpoints, ".tmp-*").Select(Path.GetFileName).ToList();
        output.WriteLine($"killed {(midWrite ? "while a checkpoint was being written" : "between checkpoints")}: complete {string.Join(", ", complete)}; temporary {string.Join(", ", temps)}");

        // Whatever the kill interrupted, a half-written checkpoint is only ever a .tmp-* directory: add one
        // explicitly (a truncated weights file and no trainer state), as a kill mid-write leaves it.
        var fake = Directory.CreateDirectory(Path.Combine(checkpoints, ".tmp-step-" + (Steps - Every)));
        File.WriteAllBytes(Path.Combine(fake.FullName, "model.safetensors"), new byte[100]);

        var resumed = CliRunner.RunIn(TestPaths.RepoRoot, Args(dir.Path, "--resume", "auto"));
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        Assert.Equal(straight.FinalWeights, File.ReadAllBytes(Path.Combine(dir.Path, "final", "model.safetensors")));
        Assert.Empty(Directory.GetDirectories(checkpoints, ".tmp-*"));   // the next save cleared the leftovers
    }

    [SkippableTheory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public void SIGINT_or_SIGTERM_saves_a_checkpoint_at_the_step_it_stops_and_resume_finishes_identically(string signal)
    {
        using var dir = new TempDir("sig" + signal.ToLowerInvariant());
        var checkpoints = Path.Combine(dir.Path, "checkpoints");
        using var run = Start(dir.Path);
        var p = run.Process;
        if (signal == "INT")
            Skip.If(Ignores(p.Id, 2), "this test process was started with SIGINT ignored (a background job of a non-interactive shell), and the child inherits it");
        // Signal once a step past the first checkpoint is logged, so stopping must write a checkpoint of its own.
        var metrics = Path.Combine(dir.Path, "metrics.jsonl");
        var clock = Stopwatch.StartNew();
        while (!LoggedStep(metrics, Every + 1))
        {
            Assert.False(p.HasExited, "the run ended before the signal");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), "no checkpoint appeared in 2 minutes");
            Thread.Sleep(2);
        }
        using (var kill = Process.Start("kill", ["-" + signal, p.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
        var stderr = run.StdErr;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {stderr}");
        var m = System.Text.RegularExpressions.Regex.Match(stderr, @"interrupted at step (\d+): checkpoint (\S+)");
        Assert.True(m.Success, stderr);
        long step = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(step, Every + 1, Steps - 1);
        // The checkpoint is the step it stopped at (not only the last periodic one), complete.
        Assert.True(File.Exists(Path.Combine(checkpoints, "step-" + step, "trainer_state.json")), stderr);
        Assert.True(File.Exists(Path.Combine(checkpoints, "step-" + step, "model.safetensors")));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "final")));
        output.WriteLine($"SIG{signal} stopped the run at step {step}");

        var resumed = CliRunner.RunIn(TestPaths.RepoRoot, Args(dir.Path, "--resume", "auto"));
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        Assert.Equal(straight.FinalWeights, File.ReadAllBytes(Path.Combine(dir.Path, "final", "model.safetensors")));
    }

    /// <summary>A running process whose output is drained as it comes (a full pipe would block the child).</summary>
    private sealed class Run(Process process) : IDisposable
    {
        private readonly Task<string> stderr = process.StandardError.ReadToEndAsync();
        private readonly Task<string> stdout = process.StandardOutput.ReadToEndAsync();

        public Process Process => process;

        public string StdErr
        {
            get
            {
                process.WaitForExit();
                _ = stdout.Result;
                return stderr.Result;
            }
        }

        public void Dispose() => process.Dispose();
    }

    private static Run Start(string outputDir)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dnafm.dll"));
        foreach (var a in Args(outputDir)) psi.ArgumentList.Add(a);
        CliRunner.PrepareEnvironment(psi);
        return new Run(Process.Start(psi)!);
    }

    private static bool LoggedStep(string metrics, long step)
    {
        if (!File.Exists(metrics)) return false;
        using var stream = new FileStream(metrics, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd().Contains($"\"step\":{step},\"kind\":\"train\"", StringComparison.Ordinal);
    }

    /// <summary>Whether process <paramref name="pid"/> ignores signal <paramref name="signal"/> (its /proc SigIgn mask).</summary>
    private static bool Ignores(int pid, int signal)
    {
        for (int i = 0; i < 100; i++)
        {
            try
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
                if (line is not null)
                    return (ulong.Parse(line[7..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (signal - 1))) != 0;
            }
            catch (IOException) { }
            Thread.Sleep(10);
        }
        return false;
    }
}
