using System.Globalization;
using System.Text;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Inference;

/// <summary>
/// bedGraph and BED outputs checked with bedtools, an independent reader of both formats: it sorts them to
/// themselves (they are sorted), merges them without complaint, and reads back, at chosen bases, the value the
/// table's rows give there (the window's probability, or the mean over the windows covering the base).
/// </summary>
public class TrackTests
{
    private static string Random(int n, int seed)
    {
        var rng = new Random(seed);
        return new string(Enumerable.Range(0, n).Select(_ => "ACGT"[rng.Next(4)]).ToArray());
    }

    private sealed record Row(string Chrom, long Start, long End, double P1, string Predicted);

    private static List<Row> Table(string path) => File.ReadLines(path).Skip(1).Select(l => l.Split('\t'))
        .Select(f => new Row(f[0], long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture), f[6])).ToList();

    private static string[] DataLines(string path) => File.ReadLines(path).Where(l => !l.StartsWith("track", StringComparison.Ordinal)).ToArray();

    /// <summary>bedtools' value of the track at each 1-bp point (chrom, position).</summary>
    private static Dictionary<(string, long), double> ValuesAt(string bedtools, TempDir d, string track, IEnumerable<(string Chrom, long Pos)> points)
    {
        var bed = d.File("points.bed");
        File.WriteAllLines(bed, points.Select(p => $"{p.Chrom}\t{p.Pos}\t{p.Pos + 1}"));
        var output = Encoding.ASCII.GetString(ExternalTool.Check(bedtools, "intersect", "-a", bed, "-b", track, "-wa", "-wb"));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
            .ToDictionary(f => (f[0], long.Parse(f[1], CultureInfo.InvariantCulture)), f => double.Parse(f[6], CultureInfo.InvariantCulture));
    }

    /// <summary>bedGraph values are written to 6 decimals.</summary>
    private static void Near(double expected, double actual) => Assert.True(Math.Abs(expected - actual) <= 1e-6, $"{expected} vs {actual}");

    private static void AssertSortedFor(string bedtools, string path)
    {
        var sorted = Encoding.ASCII.GetString(ExternalTool.Check(bedtools, "sort", "-i", path)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(sorted, DataLines(path));
        ExternalTool.Check(bedtools, "merge", "-i", path);
    }

    [SkippableFact]
    public void Tile_tracks_are_sorted_non_overlapping_bedgraph_whose_values_are_the_mean_of_covering_windows()
    {
        var bedtools = ExternalTool.Require("bedtools", "bedtools");
        using var d = new TempDir("track");
        var dir = PredictTests.ModelDir(d, FineTuneTask.SingleLabel);
        // FASTA order 2, 10: the track must come out in name order (10 before 2), as bedtools sort and UCSC want it
        File.WriteAllText(d.File("g.fa"), ">2\n" + Random(230, 1) + "\n>10\n" + Random(100, 2) + new string('N', 80) + Random(95, 3) + "\n");
        foreach (var (stride, name) in new[] { (0, "flat"), (10, "overlap") })
        {
            var summary = new PredictJob(CPU).Run(new PredictRequest
            {
                Model = dir, GenomeWide = true, Genome = d.File("g.fa"), Tiling = new TilingOptions { WindowBp = 30, StrideBp = stride },
                Outputs = [d.File($"{name}.tsv"), d.File($"{name}.bedgraph"), d.File($"{name}.bed")],
            });
            Assert.True(summary.SkippedAllN > 0);
            var track = d.File($"{name}.bedgraph");
            Assert.StartsWith("track type=bedGraph", File.ReadLines(track).First());
            AssertSortedFor(bedtools, track);
            AssertSortedFor(bedtools, d.File($"{name}.bed"));
            var lines = DataLines(track).Select(l => l.Split('\t')).ToList();
            Assert.Equal("10", lines[0][0]);
            foreach (var (a, b) in lines.Zip(lines.Skip(1)).Where(x => x.First[0] == x.Second[0]))
                Assert.True(long.Parse(a[2], CultureInfo.InvariantCulture) <= long.Parse(b[1], CultureInfo.InvariantCulture), "bedGraph lines overlap");

            var rows = Table(d.File($"{name}.tsv"));
            var rng = new Random(4);
            var points = Enumerable.Range(0, 40).Select(_ => rows[rng.Next(rows.Count)]).Select(r => (r.Chrom, r.Start + rng.Next((int)(r.End - r.Start)))).Distinct().ToList();
            var values = ValuesAt(bedtools, d, track, points);
            foreach (var (chrom, pos) in points)
            {
                var covering = rows.Where(r => r.Chrom == chrom && r.Start <= pos && pos < r.End).ToList();
                Assert.NotEmpty(covering);   // stride 0: one window, or two near a contig end (the flush-end window)
                Near(covering.Average(r => r.P1), values[(chrom, pos)]);
            }
            // BED: exactly the bases of the windows predicted class 1
            var positive = new HashSet<(string, long)>(rows.Where(r => r.Predicted == "1").SelectMany(r => Enumerable.Range((int)r.Start, (int)(r.End - r.Start)).Select(p => (r.Chrom, (long)p))));
            var inBed = File.ReadLines(d.File($"{name}.bed")).Select(l => l.Split('\t')).SelectMany(f =>
                Enumerable.Range(int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture) - int.Parse(f[1], CultureInfo.InvariantCulture)).Select(p => (f[0], (long)p))).ToList();
            Assert.Equal(inBed.Count, inBed.Distinct().Count());          // merged: no base twice
            Assert.True(positive.SetEquals(inBed));
            // and the same intervals bedtools merge makes of the positive windows (overlapping and touching ones joined)
            var windows = d.File($"{name}.positive.bed");
            File.WriteAllLines(windows, rows.Where(r => r.Predicted == "1").Select(r => $"{r.Chrom}\t{r.Start}\t{r.End}"));
            var sortedWindows = Encoding.ASCII.GetString(ExternalTool.Check(bedtools, "sort", "-i", windows));
            File.WriteAllText(windows, sortedWindows);
            var merged = Encoding.ASCII.GetString(ExternalTool.Check(bedtools, "merge", "-i", windows)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(merged, File.ReadLines(d.File($"{name}.bed")).Select(l => string.Join('\t', l.Split('\t').Take(3))));
        }
    }

    [SkippableFact]
    public void Region_tracks_from_an_unsorted_overlapping_bed_are_sorted_and_multi_label_gives_one_file_per_label()
    {
        var bedtools = ExternalTool.Require("bedtools", "bedtools");
        using var d = new TempDir("track-regions");
        var dir = PredictTests.ModelDir(d, FineTuneTask.MultiLabel, "char", ["CTCF", "DNase"]);
        File.WriteAllText(d.File("g.fa"), ">chrB\n" + Random(300, 5) + "\n>chrA\n" + Random(300, 6) + "\n");
        File.WriteAllText(d.File("r.bed"), "chrB\t100\t160\tr1\nchrA\t10\t60\tr2\nchrB\t20\t130\tr3\nchrA\t200\t260\tr4\n");
        var summary = new PredictJob(CPU).Run(new PredictRequest { Model = dir, Regions = d.File("r.bed"), Genome = d.File("g.fa"), Outputs = [d.File("r.tsv"), d.File("r.bedgraph")] });
        Assert.Equal([d.File("r.tsv"), d.File("r.CTCF.bedgraph"), d.File("r.DNase.bedgraph")], summary.Files);
        var table = File.ReadAllLines(d.File("r.tsv"));
        Assert.Equal("chrom\tstart\tend\tid\tprob_CTCF\tprob_DNase\tpredicted", table[0]);
        Assert.Equal(["r1", "r2", "r3", "r4"], table.Skip(1).Select(l => l.Split('\t')[3]));   // input order
        var dnase = d.File("r.DNase.bedgraph");
        AssertSortedFor(bedtools, dnase);
        var rows = table.Skip(1).Select(l => l.Split('\t')).ToList();
        double P(string id) => double.Parse(rows.Single(f => f[3] == id)[5], CultureInfo.InvariantCulture);
        var values = ValuesAt(bedtools, d, dnase, [("chrB", 50), ("chrB", 120), ("chrB", 150), ("chrA", 30)]);
        Near(P("r3"), values[("chrB", 50)]);
        Near((P("r1") + P("r3")) / 2, values[("chrB", 120)]);   // two regions cover it: their mean
        Near(P("r1"), values[("chrB", 150)]);
        Near(P("r2"), values[("chrA", 30)]);
    }
}
