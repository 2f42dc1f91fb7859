using DnaFoundation.Evaluation.Chromatin;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Data.Reference;
using DnaFoundation.Data.Intervals;

namespace DnaFoundation.Evaluation.Tests.Chromatin;

public class ChromatinBinnerTests
{
    // 20 bins of 10 bp; context 30 bp (10 bp each side).
    private static readonly ChromatinBinning Small = new() { BinSize = 10, ContextSize = 30, RequireAnyPositive = false };
    private static readonly InMemoryGenome Genome = new(new Dictionary<string, string> { ["c"] = string.Concat(Enumerable.Repeat("ACGTACGTAC", 20)) });
    private static readonly (long, long) NoDev = (1000, 1000), NoTest = (2000, 2000);

    private static IReadOnlyList<ChromatinBin> Bin(IReadOnlyList<BedInterval>[] features, BedInterval[]? black = null, (long, long)? dev = null, (long, long)? test = null, ChromatinBinning? b = null) =>
        ChromatinBinner.Bin(Genome, "c", features, black ?? [], dev ?? NoDev, test ?? NoTest, b ?? Small);

    [Fact]
    public void A_bin_is_positive_when_peaks_cover_at_least_half_of_it()
    {
        var bins = Bin([[new("c", 5, 10)], [new("c", 16, 20)], [new("c", 20, 23), new("c", 22, 25)]]);
        Assert.Equal(20, bins.Count);
        Assert.Equal(1, bins[0].Labels[0]);  // exactly 5 of 10 bp
        Assert.Equal(0, bins[1].Labels[1]);  // 4 of 10 bp
        Assert.Equal(1, bins[2].Labels[2]);  // overlapping peaks merged: 20–25 = 5 bp, not 6
        Assert.Equal(0, bins[1].Labels[0]);
    }

    [Fact]
    public void Blacklisted_bins_are_dropped_and_deepsea_mode_keeps_only_labelled_bins()
    {
        var bins = Bin([[new("c", 0, 200)]], black: [new("c", 45, 46)]);
        Assert.Equal(19, bins.Count);
        Assert.DoesNotContain(bins, x => x.Start == 40);
        var onlyPositive = Bin([[new("c", 50, 70)]], b: Small with { RequireAnyPositive = true });
        Assert.Equal([50L, 60L], onlyPositive.Select(x => x.Start));
    }

    [Fact]
    public void Splits_are_contiguous_and_contexts_never_straddle_them()
    {
        var bins = Bin([[new("c", 0, 200)]], dev: (100, 150), test: (150, 200));
        // context of a bin at s is [s−10, s+20): dev holds s = 110..130; test holds 160..180; 190's context runs past the contig end, which is outside the test region.
        Assert.Equal([110L, 120L, 130L], bins.Where(x => x.Split == ChromatinSplit.Dev).Select(x => x.Start));
        Assert.Equal([160L, 170L, 180L], bins.Where(x => x.Split == ChromatinSplit.Test).Select(x => x.Start));
        Assert.All(bins.Where(x => x.Split == ChromatinSplit.Train), x => Assert.True(x.Start + 20 <= 100));
    }

    [Fact]
    public void Contexts_are_centred_and_padded_with_n_at_contig_ends()
    {
        Assert.Equal("NNNNNNNNNN" + "ACGTACGTAC" + "ACGTACGTAC", ChromatinBinner.Context(Genome, "c", 0, Small));
        var end = ChromatinBinner.Context(Genome, "c", 190, Small);
        Assert.Equal(30, end.Length);
        Assert.EndsWith("NNNNNNNNNN", end);
    }
}
