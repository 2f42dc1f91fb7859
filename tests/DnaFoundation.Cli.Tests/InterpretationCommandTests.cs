using System.Globalization;
using DnaFoundation.Model;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary><c>dnafm ism</c> and <c>dnafm motifs</c> as a user runs them, and their bad inputs (one line, exit 2, nothing written).</summary>
public sealed class InterpretationCommandTests : IDisposable
{
    private readonly TempDir dir = new("interp-cli");

    public void Dispose() => dir.Dispose();

    private static string Random(int n, Random rng) => new(Enumerable.Range(0, n).Select(_ => "ACGT"[rng.Next(4)]).ToArray());

    [Fact]
    public void Ism_writes_a_row_per_substitution_with_genome_coordinates_and_plots()
    {
        var model = ServeTests.ModelDir(dir, ModelHeads.Sequence);
        var rng = new Random(1);
        File.WriteAllText(dir.File("g.fa"), ">chr20\n" + Random(300, rng) + "\n");
        File.WriteAllText(dir.File("r.bed"), "chr20\t100\t130\tsite\n");
        var r = CliRunner.Run("ism", "--model", model, "--regions", dir.File("r.bed"), "--genome", dir.File("g.fa"), "--output", dir.File("out"), "--threads", "1");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("scanned 1 input(s), 90 substitution(s): Δ P(1)", r.StdErr);
        var lines = File.ReadAllLines(dir.File("out/ism.tsv"));
        Assert.Equal("sequence_id\tposition\tref\talt\tdelta\tchrom\tgenome_position", lines[0]);
        Assert.Equal(91, lines.Length);
        var first = lines[1].Split('\t');
        Assert.Equal(["site", "1"], first[..2]);
        Assert.Equal(["chr20", "101"], first[5..]);                                  // BED start 100 → 1-based 101
        Assert.Equal("130", lines[^1].Split('\t')[6]);
        Assert.All(lines[1..], l => double.Parse(l.Split('\t')[4], CultureInfo.InvariantCulture));
        Assert.True(new FileInfo(dir.File("out/site.heatmap.png")).Length > 1000);
        Assert.True(new FileInfo(dir.File("out/site.logo.png")).Length > 1000);

        var mlm = ServeTests.ModelDir(dir, ModelHeads.MaskedLm);
        var llr = CliRunner.Run("ism", "--model", mlm, "--sequence", "ACGTTGCAAGCT", "--output", dir.File("llr"), "--no-plots", "--threads", "1");
        Assert.True(llr.ExitCode == 0, llr.StdErr);
        Assert.Contains("masked-marginal", llr.StdErr);
        Assert.Equal(37, File.ReadAllLines(dir.File("llr/ism.tsv")).Length);
        Assert.False(File.Exists(dir.File("llr/sequence.heatmap.png")));
    }

    [Fact]
    public void Ism_bad_inputs_exit_2_with_one_line_and_write_nothing()
    {
        var model = ServeTests.ModelDir(dir, ModelHeads.Sequence);
        File.WriteAllText(dir.File("g.fa"), ">chr20\n" + Random(300, new Random(2)) + "\n");
        File.WriteAllText(dir.File("past.bed"), "chr20\t10\t40\tok\nchr20\t280\t320\tpast\n");
        File.WriteAllText(dir.File("bad.fa"), ">a\nACGT\n>b\nAC1T\n");
        var cases = new (string[] Args, string Expected)[]
        {
            (["--regions", dir.File("past.bed"), "--genome", dir.File("g.fa")], "past.bed:2: region chr20:280-320 runs past the end"),
            (["--input", dir.File("bad.fa")], "bad.fa:4"),
            (["--sequence", new string('A', 200)], "'sequence' is 200 bp, more than the model's max length of 64 tokens"),
            (["--sequence", "ACGT", "--class", "7"], "class '7' is not one of the model's labels"),
            (["--sequence", "ACGT", "--score", "odds"], "--score 'odds'"),
            (["--sequence", "ACGT", "--input", dir.File("bad.fa")], "give exactly one input"),
        };
        foreach (var (args, expected) in cases)
        {
            var r = CliRunner.Run(["ism", "--model", model, .. args, "--output", dir.File("bad"), "--threads", "1"]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}: {r.StdErr}");
            var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("error: ", lines[0]);
            Assert.Contains(expected, lines[0]);
            Assert.False(Directory.Exists(dir.File("bad")) && Directory.EnumerateFileSystemEntries(dir.File("bad")).Any());
        }
    }

    [Fact]
    public void Motifs_from_beds_write_meme_table_logos_and_instances_and_bad_inputs_exit_2()
    {
        var model = ServeTests.ModelDir(dir, ModelHeads.Sequence);
        var rng = new Random(3);
        // positives carry TGACTCA (an AP-1 site); a random model's attention is arbitrary, so the thresholds are loose: this checks the plumbing
        var genome = Random(6000, rng).ToCharArray();
        var pos = new List<string>();
        var neg = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            int start = i * 150;
            if (i % 2 == 0)
            {
                "TGACTCA".CopyTo(0, genome, start + 20, 7);
                pos.Add($"chr1\t{start}\t{start + 60}\tp{i}");
            }
            else neg.Add($"chr1\t{start}\t{start + 60}\tn{i}");
        }
        File.WriteAllText(dir.File("g.fa"), ">chr1\n" + new string(genome) + "\n");
        File.WriteAllText(dir.File("pos.bed"), string.Join('\n', pos) + "\n");
        File.WriteAllText(dir.File("neg.bed"), string.Join('\n', neg) + "\n");
        var r = CliRunner.Run("motifs", "--model", model, "--positives", dir.File("pos.bed"), "--negatives", dir.File("neg.bed"), "--genome", dir.File("g.fa"),
            "--threshold", "0.5", "--max-adjusted-p", "1", "--output", dir.File("m"), "--threads", "1");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("20 positives, 20 negatives", r.StdErr);
        Assert.Contains("motif(s), both strands", r.StdErr);                         // BED regions have no orientation: auto searches both
        Assert.Contains("strands: + -", File.ReadAllText(dir.File("m/motifs.meme")));
        var table = File.ReadAllLines(dir.File("m/motifs.tsv"));
        Assert.StartsWith("motif_id\tconsensus\twidth\tinstances\tpositives_with", table[0]);
        Assert.True(table.Length > 1, "no motif at all");
        Assert.StartsWith("MEME version 4", File.ReadAllText(dir.File("m/motifs.meme")));
        Assert.True(File.Exists(dir.File("m/logos/motif_1.png")));
        var bed = File.ReadAllLines(dir.File("m/motifs.bed"));
        Assert.NotEmpty(bed);
        Assert.All(bed, l => Assert.Equal("chr1", l.Split('\t')[0]));
        Assert.All(bed, l => Assert.Contains(l.Split('\t')[5], new[] { "+", "-" }));
        // an instance's BED interval holds the motif's instance bases in the genome
        var top = table[1].Split('\t');
        Assert.All(bed.Where(l => l.Split('\t')[3] == top[0]), l =>
        {
            var x = l.Split('\t');
            Assert.Equal(int.Parse(top[2], CultureInfo.InvariantCulture), int.Parse(x[2], CultureInfo.InvariantCulture) - int.Parse(x[1], CultureInfo.InvariantCulture));
        });

        var forward = CliRunner.Run("motifs", "--model", model, "--positives", dir.File("pos.bed"), "--negatives", dir.File("neg.bed"), "--genome", dir.File("g.fa"),
            "--threshold", "0.5", "--max-adjusted-p", "1", "--strands", "forward", "--output", dir.File("m-forward"), "--threads", "1");
        Assert.True(forward.ExitCode == 0, forward.StdErr);
        Assert.Contains("motif(s), forward strand", forward.StdErr);
        Assert.All(File.ReadAllLines(dir.File("m-forward/motifs.bed")), l => Assert.Equal("+", l.Split('\t')[5]));

        File.WriteAllText(dir.File("labels.csv"), "sequence,label\nACGTACGTACGT,0\nACGTACGTTT,2\n");
        File.WriteAllText(dir.File("broken.csv"), "sequence,label\nACGTACGTACGT,1\nACGT\n");
        var cases = new (string[] Args, string Expected)[]
        {
            (["--input", dir.File("labels.csv")], "labels.csv: no row has the positive label 1"),
            (["--input", dir.File("broken.csv")], "broken.csv:3: expected 2 columns"),
            (["--positives", dir.File("pos.bed"), "--genome", dir.File("g.fa")], "BED inputs need positive and negative BED files and a genome"),
            (["--input", dir.File("labels.csv"), "--attention", "max"], "--attention 'max'"),
            (["--input", dir.File("labels.csv"), "--strands", "sideways"], "--strands 'sideways': expected auto, forward or both"),
        };
        foreach (var (args, expected) in cases)
        {
            var b = CliRunner.Run(["motifs", "--model", model, .. args, "--output", dir.File("bad"), "--threads", "1"]);
            Assert.True(b.ExitCode == 2, $"{string.Join(' ', args)}: exit {b.ExitCode}: {b.StdErr}");
            var lines = b.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Contains(expected, lines[0]);
            Assert.False(Directory.Exists(dir.File("bad")));
        }
    }

    /// <summary>
    /// The issue's real-motif check: a tiny 3-mer model fine-tuned for 150 steps on GUE prom_core_tata (random init,
    /// ~20 s on 2 idle cores: the reason this test is slower than the rest), then dnafm motifs on the training set,
    /// finds a TATA box (TATAWAWR) among its top 8 motifs. Needs ../shared/data.
    /// </summary>
    [SkippableFact]
    public void Motifs_of_a_model_fine_tuned_on_prom_core_tata_include_a_tata_box()
    {
        var data = TestPaths.Shared("gue", "prom", "prom_core_tata");
        var ft = CliRunner.Run("finetune", "--model", "tiny", "--tokenizer", "kmer:3", "--train", Path.Combine(data, "train.csv"), "--dev", Path.Combine(data, "dev.csv"),
            "--max-length", "72", "--max-steps", "150", "--lr", "2e-3", "--warmup-steps", "15", "--eval-steps", "1000", "--output", dir.File("ft"));
        Assert.True(ft.ExitCode == 0, ft.StdErr);
        var r = CliRunner.Run("motifs", "--model", dir.File("ft/final"), "--input", Path.Combine(data, "train.csv"), "--output", dir.File("tata"));
        Assert.True(r.ExitCode == 0, r.StdErr);
        var consensus = File.ReadAllLines(dir.File("tata/motifs.tsv"))[1..].Take(8).Select(l => l.Split('\t')[1]).ToList();
        // TATAWAWR: T A T A [AT] A [AT] [AG]; a consensus matches when some window of 6 agrees with TATAWA (IUPAC W/R allowed)
        static bool Tata(string c) => Enumerable.Range(0, Math.Max(0, c.Length - 5)).Any(i =>
            "TATAWA".Select((p, j) => (p, c[i + j])).All(x => x.p == 'W' ? x.Item2 is 'A' or 'T' or 'W' : x.Item2 == x.p));
        Assert.True(consensus.Any(Tata), $"top motifs: {string.Join(", ", consensus)}");
    }
}
