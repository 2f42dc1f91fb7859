using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The README's two commands, in order, on a fresh clone: `dnafm quickstart`, then `dotnet test`.
/// Running the whole suite again inside a test would take minutes, so the order is proven in two halves instead:
/// (1) the quick start, run exactly as the README says (default output, from the root of a fresh copy of the
/// tracked files), writes nothing but its own ignored runs/ folder: every file the suite reads is byte-identical
/// afterwards; and (2) no test reads or writes runs/ in the checkout (a scan of the test sources: a path that
/// starts at runs/, or the repository root joined with runs). Together: whatever the quick start leaves behind,
/// the suite cannot see it, so the second command passes after the first exactly as on a clean checkout (which CI
/// proves on every run).
/// </summary>
public class NewcomerPathTests
{
    [SkippableFact]
    public void The_quick_start_run_as_the_readme_says_writes_only_its_own_ignored_runs_folder()
    {
        var tracked = TrackedFiles();
        using var clone = new TempDir("fresh-clone");
        foreach (var file in tracked)
        {
            var to = Path.Combine(clone.Path, file);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(Path.Combine(TestPaths.RepoRoot, file), to);
        }
        var before = Snapshot(clone.Path);

        // README command 1, shortened like QuickstartTests (fewer steps) but with its default output, from the root.
        var r = CliRunner.RunIn(clone.Path, "quickstart", "--pretrain-steps", "4", "--finetune-epochs", "0.1", "--threads", "2");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.True(File.Exists(Path.Combine(clone.Path, "runs", "quickstart", "report.md")));

        var after = Snapshot(clone.Path);
        foreach (var (file, hash) in before)
            Assert.True(after.TryGetValue(file, out var now) && now == hash, $"the quick start changed or removed {file}");
        var added = after.Keys.Where(f => !before.ContainsKey(f)).ToList();
        Assert.NotEmpty(added);
        Assert.All(added, f => Assert.StartsWith("runs/", f));
        Assert.Contains("runs/", File.ReadAllLines(Path.Combine(clone.Path, ".gitignore")));   // and git ignores all of it
    }

    [Fact]
    public void No_test_reads_or_writes_the_checkouts_runs_folder()
    {
        // A path literal starting at runs/ (commands run with the repository root as working directory, so it would
        // land in the checkout), or RepoRoot joined with a runs segment on one line.
        var relative = new Regex("(\"runs[/\\\\])|(\\(\\s*\"runs\")");
        var joined = new Regex(@"RepoRoot[^;]*""runs""");
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "tests"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")) continue;
            if (Path.GetFileName(file) == nameof(NewcomerPathTests) + ".cs") continue;
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                if (relative.IsMatch(lines[i]) || joined.IsMatch(lines[i]))
                    offenders.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}:{i + 1}: {lines[i].Trim()}");
        }
        Assert.True(offenders.Count == 0, "tests must keep their state in a TempDir, never runs/:\n" + string.Join('\n', offenders));
    }

    private static List<string> TrackedFiles()
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = TestPaths.RepoRoot };
        foreach (var a in new[] { "ls-files", "-z" }) psi.ArgumentList.Add(a);
        Process? p = null;
        try { p = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception) { }
        Skip.If(p is null, "needs git to list the tracked files of the checkout");
        var output = p!.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Skip.If(p.ExitCode != 0, "the repository is not a git checkout here (git ls-files failed)");
        // A file tracked but not on disk (deleted in the working tree) is not part of a fresh clone's content here.
        return output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(f => File.Exists(Path.Combine(TestPaths.RepoRoot, f))).ToList();
    }

    private static Dictionary<string, string> Snapshot(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(root, f).Replace('\\', '/'),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
}
