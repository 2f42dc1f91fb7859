using DnaFoundation.Model;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary><c>dnafm predict</c> as a user runs it: several outputs in one pass, and bad inputs as one line naming the file and line, exit 2, no output.</summary>
public sealed class PredictCommandTests : IDisposable
{
    private readonly TempDir dir = new("predict-cli");

    public void Dispose() => dir.Dispose();

    private static string Random(int n, int seed)
    {
        var rng = new Random(seed);
        return new string(Enumerable.Range(0, n).Select(_ => "ACGT"[rng.Next(4)]).ToArray());
    }

    [Fact]
    public void Regions_give_a_table_tracks_and_intervals_and_bad_inputs_exit_2_naming_file_and_line()
    {
        var model = ServeTests.ModelDir(dir, ModelHeads.Sequence);
        File.WriteAllText(dir.File("g.fa"), ">chr20\n" + Random(500, 1) + "\n");
        File.WriteAllText(dir.File("r.bed"), "track name=regions\nchr20\t0\t100\tfirst\nchr20\t80\t200\tsecond\n");
        var ok = CliRunner.Run("predict", "--model", model, "--regions", dir.File("r.bed"), "--genome", dir.File("g.fa"),
            "--output", dir.File("o.tsv"), "--output", dir.File("o.bedgraph"), "--output", dir.File("o.bed"), "--rc-average", "--threads", "1");
        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Equal([dir.File("o.tsv"), dir.File("o.bedgraph"), dir.File("o.bed")], ok.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(3, File.ReadAllLines(dir.File("o.tsv")).Length);
        Assert.True(File.Exists(dir.File("o.tsv.run.json")));                       // the run record, beside the first output
        Assert.Contains("predicted 2 input(s) with a single-label head", ok.StdErr);

        var cases = new (string[] Args, string Expected)[]
        {
            (["--regions", Bed("bad.bed", "chr20\t0\t100\nchr20\t10\n"), "--genome", dir.File("g.fa")], "bad.bed:2: expected at least 3 tab-separated columns"),
            (["--regions", Bed("contig.bed", "chr20\t0\t100\nchr7\t10\t20\n"), "--genome", dir.File("g.fa")], "contig.bed:2: contig 'chr7' is not in the genome"),
            (["--regions", Bed("past.bed", "chr20\t450\t600\n"), "--genome", dir.File("g.fa")], "past.bed:1: region chr20:450-600 runs past the end"),
            (["--tile", "chr9:1-100", "--genome", dir.File("g.fa")], "g.fa: region 'chr9:1-100'"),
            (["--input", dir.File("r.bed"), "--regions", dir.File("r.bed"), "--genome", dir.File("g.fa")], "give exactly one kind of input"),
        };
        foreach (var (args, expected) in cases)
        {
            var r = CliRunner.Run(["predict", "--model", model, .. args, "--output", dir.File("bad.tsv"), "--output", dir.File("bad.bedgraph"), "--threads", "1"]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}: {r.StdErr}");
            var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains(expected, lines[0]);
            Assert.False(File.Exists(dir.File("bad.tsv")));
            Assert.False(File.Exists(dir.File("bad.bedgraph")));
        }
    }

    private string Bed(string name, string text)
    {
        File.WriteAllText(dir.File(name), text);
        return dir.File(name);
    }
}
