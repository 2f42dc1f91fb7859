using DnaFoundation.TestSupport;

namespace DnaFoundation.Fuzz.Tests;

/// <summary>
/// The fuzz harnesses without AFL: every committed crash input (tests/fixtures/fuzz-regressions/TARGET/) and every
/// seed (fuzz/seeds/TARGET/) goes through the same harness entry AFL drives, and must keep the contract — parse, or
/// one line naming the file (the CLI's exit 2). A regression throws out of <see cref="Contract.Run"/> with the
/// exception the crash had. Seconds in all; the AFL smoke round itself runs in .ci/run.
/// </summary>
public class HarnessTests
{
    private static string Regressions => TestPaths.Fixture("fuzz-regressions");

    public static TheoryData<string, string> CrashInputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in Directory.EnumerateDirectories(Regressions).Order(StringComparer.Ordinal))
            foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(dir), Path.GetFileName(file));
        return data;
    }

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(CrashInputs))]
    public async Task CrashInputKeepsTheContract(string target, string file)
    {
        // Some inputs once hung the reader (hang-*): a watchdog turns a regression into a failure, not a stuck suite.
        var outcome = await Task.Run(() => Run(target, Path.Combine(Regressions, target, file))).WaitAsync(TimeSpan.FromMinutes(2));
        if (!outcome.Parsed) AssertOneLineNamingTheInput(outcome.Error!);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void EverySeedKeepsTheContract(string target)
    {
        var seeds = Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "fuzz", "seeds", target));
        Assert.NotEmpty(seeds);
        int parsed = 0;
        foreach (var seed in seeds)
            if (Run(target, seed).Parsed) parsed++;
        // Seeds are real files: most must parse, or the harness never gets past the first check.
        if (target is not "pickle-legacy") Assert.True(parsed > 0, $"no seed of {target} parses");
    }

    [Fact]
    public void EveryTargetHasSeedsAndEveryRegressionFolderATarget()
    {
        foreach (var t in FuzzTargets.All)
            Assert.True(Directory.Exists(Path.Combine(TestPaths.RepoRoot, "fuzz", "seeds", t.Name)), $"fuzz/seeds/{t.Name} is missing");
        foreach (var dir in Directory.EnumerateDirectories(Regressions))
            Assert.NotNull(FuzzTargets.Find(Path.GetFileName(dir)));
    }

    private static Outcome Run(string target, string input)
    {
        using var temp = new TempDir("fuzz");
        using var context = new FuzzContext(temp.File("work"));
        return Contract.Run(FuzzTargets.Find(target)!, File.ReadAllBytes(input), context);
    }

    private static void AssertOneLineNamingTheInput(string message)
    {
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
        Assert.Contains("dnafm-fuzz-", message);   // the TempDir prefix: the file or its folder is named
    }
}
