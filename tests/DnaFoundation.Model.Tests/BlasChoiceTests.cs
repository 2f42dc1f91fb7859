using DnaFoundation.Core;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Model.Tests;

/// <summary>
/// The parts of <see cref="BlasProvider"/> that need no second process: the setting, the rule that picks a library
/// from measured rates, and the cache of measurements (the routing itself is tested through dnafm in
/// Cli.Tests/BlasProviderCommandTests, since a process binds libtorch's sgemm once).
/// </summary>
public class BlasChoiceTests
{
    private static BlasProbe Probe(double mkl, double openBlas, int samples = 1, bool quiet = false) =>
        new(new Dictionary<string, double> { ["mkl"] = mkl, ["openblas"] = openBlas }, 1024, 2, samples, quiet);

    [Fact]
    public void The_setting_is_auto_mkl_or_openblas_and_anything_else_names_the_variable()
    {
        Assert.Equal("auto", BlasProvider.Parse(null));
        Assert.Equal("auto", BlasProvider.Parse(" "));
        Assert.Equal("mkl", BlasProvider.Parse("MKL"));
        Assert.Equal("openblas", BlasProvider.Parse("openblas"));
        var e = Assert.Throws<DnaInputException>(() => BlasProvider.Parse("blis"));
        Assert.Equal("DNAFM_BLAS='blis' is not allowed; allowed values: auto, mkl, openblas", e.Message);
    }

    [Fact]
    public void OpenBlas_is_chosen_only_when_it_is_at_least_one_and_a_half_times_faster()
    {
        Assert.True(BlasProvider.Choose(Probe(mkl: 75, openBlas: 307)).OpenBlas);        // Zen 5 (issue 21)
        Assert.True(BlasProvider.Choose(Probe(mkl: 100, openBlas: 150)).OpenBlas);
        Assert.False(BlasProvider.Choose(Probe(mkl: 134, openBlas: 169)).OpenBlas);      // Zen 4 here: keep libtorch's own
        Assert.False(BlasProvider.Choose(Probe(mkl: 127, openBlas: 60)).OpenBlas);
        Assert.Contains("needs 1.50×", BlasProvider.Choose(Probe(134, 169)).Why);
    }

    [Fact]
    public void Busy_measurements_merge_best_rates_until_one_is_quiet_or_three_were_taken()
    {
        var first = Probe(mkl: 120, openBlas: 40);                                      // OpenBLAS suffers most from a busy machine
        Assert.False(first.Settled);
        var second = Probe(mkl: 100, openBlas: 150).MergedWith(first);
        Assert.Equal(120, second.Gflops["mkl"]);
        Assert.Equal(150, second.Gflops["openblas"]);
        Assert.Equal(2, second.Samples);
        Assert.False(second.Settled);
        Assert.True(Probe(1, 1).MergedWith(second).Settled);                              // the third
        Assert.True(Probe(1, 1, quiet: true).Settled);
        Assert.Equal(1, Probe(1, 1).MergedWith(new BlasProbe(new Dictionary<string, double>(), 512, 2)).Samples); // another size: not merged
    }

    [Fact]
    public void The_cache_file_round_trips_per_key_and_a_damaged_one_is_ignored()
    {
        using var dir = new TempDir("blas-cache");
        var file = Path.Combine(dir.Path, "dnafm", "blas.json");
        Assert.Null(BlasChoiceCache.Read(file, "a"));
        BlasChoiceCache.Write(file, "a", Probe(121.04, 158.06, samples: 2));
        BlasChoiceCache.Write(file, "b", Probe(90, 80, quiet: true));
        var a = BlasChoiceCache.Read(file, "a")!;
        Assert.Equal(121.0, a.Gflops["mkl"]);
        Assert.Equal(158.1, a.Gflops["openblas"]);
        Assert.Equal((1024, 2, 2, false), (a.Size, a.Threads, a.Samples, a.Quiet));
        Assert.True(BlasChoiceCache.Read(file, "b")!.Quiet);
        Assert.Null(BlasChoiceCache.Read(file, "c"));
        File.WriteAllText(file, "{ not json");
        Assert.Null(BlasChoiceCache.Read(file, "a"));
        BlasChoiceCache.Write(file, "a", Probe(1, 2));                                   // a damaged file is replaced
        Assert.NotNull(BlasChoiceCache.Read(file, "a"));
    }

    [Fact]
    public void Without_Select_the_process_reports_libtorchs_own_mkl()
    {
        // The test host never calls Select: libtorch's bundled MKL serves sgemm, and the record says why.
        var current = BlasProvider.Current;
        Assert.Equal("mkl", current.Provider);
        Assert.Equal("none", current.Setting);
        Assert.Contains("Select was not called", current.Reason);
        Assert.Equal("mkl", current.ToJson()["provider"]!.GetValue<string>());
    }
}
