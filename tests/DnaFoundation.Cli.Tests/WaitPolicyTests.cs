namespace DnaFoundation.Cli.Tests;

/// <summary>
/// dnafm asks libgomp (libtorch's OpenMP runtime) for the passive wait policy unless the user chose one. libgomp
/// itself is the referee: with OMP_DISPLAY_ENV=VERBOSE it prints the settings it initialised with when libtorch
/// loads it, so these tests see what the runtime really uses, not only what dnafm says.
/// </summary>
public class WaitPolicyTests
{
    private static CliRunner.Result Info(string? policy, string? spin) => CliRunner.RunWithEnvironment(
        new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = policy, ["GOMP_SPINCOUNT"] = spin, ["OMP_DISPLAY_ENV"] = "VERBOSE" }, "info");

    [Fact]
    public void Idle_workers_sleep_by_default_and_libgomp_confirms_it()
    {
        var r = Info(null, null);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Matches(@"openmp wait policy\s+PASSIVE \(dnafm's default", r.StdOut);
        Assert.Contains("OMP_WAIT_POLICY = 'PASSIVE'", r.StdErr);
        Assert.Contains("GOMP_SPINCOUNT = '0'", r.StdErr);             // libgomp's own default spins 300000 times
    }

    [Fact]
    public void A_policy_the_user_set_is_left_alone_and_shown()
    {
        var active = Info("ACTIVE", null);
        Assert.Matches(@"openmp wait policy\s+OMP_WAIT_POLICY=ACTIVE \(from the environment\)", active.StdOut);
        Assert.Contains("OMP_WAIT_POLICY = 'ACTIVE'", active.StdErr);

        var spin = Info(null, "300000");
        Assert.Matches(@"openmp wait policy\s+GOMP_SPINCOUNT=300000 \(from the environment\)", spin.StdOut);
        Assert.Contains("GOMP_SPINCOUNT = '300000'", spin.StdErr);
    }
}
