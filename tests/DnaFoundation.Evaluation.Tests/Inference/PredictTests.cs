using System.Globalization;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Reference;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using Parquet.Serialization;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Inference;

public class PredictTests
{
    private static string Random(int n, int seed)
    {
        var rng = new Random(seed);
        return new string(Enumerable.Range(0, n).Select(_ => "ACGT"[rng.Next(4)]).ToArray());
    }

    /// <summary>A fine-tuned-model directory (random weights are enough for the plumbing): weights, tokenizer, task.json.</summary>
    internal static string ModelDir(TempDir d, FineTuneTask task, string tokenizer = "char", string[]? labels = null, int maxLength = 64)
    {
        var tok = DnaTokenizers.Load(tokenizer);
        labels ??= task == FineTuneTask.Token ? ["outside", "inside"] : ["0", "1"];
        random.manual_seed(3);
        var config = ToyData.Config(labels.Length) with
        {
            VocabSize = tok.VocabSize, PadTokenId = tok.PadId, MaskTokenId = tok.MaskId,
            ProblemType = task == FineTuneTask.MultiLabel ? "multi_label_classification" : null,
        };
        using var model = ModelFactory.Create(config, task == FineTuneTask.Token ? ModelHeads.Token : ModelHeads.Sequence);
        var dir = d.File("model-" + task);
        ModelDirectory.Save(model, dir);
        tok.Save(Path.Combine(dir, "vocab.txt"));
        new ModelTask { Task = task, Labels = labels, MaxLength = maxLength }.Write(dir);
        return dir;
    }

    [Fact]
    public void Tiles_step_by_the_stride_end_flush_with_the_region_and_skip_windows_of_N()
    {
        var contig = Random(40, 1) + new string('N', 30) + Random(33, 2);        // 103 bp
        var genome = new InMemoryGenome(new Dictionary<string, string> { ["c"] = contig, ["short"] = "ACGTA" });
        var tiler = new GenomeTiler(genome, [new GenomicRegion("c", "c", 0, 103), new GenomicRegion("short", "short", 0, 5)], new TilingOptions { WindowBp = 20, StrideBp = 15 });
        var windows = tiler.Windows().ToList();
        // starts 0, 15, 30, 45, 60, 75 (fit), then one flush with the end: 83; the short contig is one 5-bp window
        Assert.Equal(8, tiler.TotalWindows);
        Assert.Equal([0L, 15, 30, 60, 75, 83, 0], windows.Select(w => w.Start));   // 45-65 is all N: skipped
        Assert.Equal(1, tiler.SkippedAllN);
        Assert.All(windows, w => Assert.Equal(contig.Length >= w.End && w.Chrom == "c" ? contig[(int)w.Start..(int)w.End] : "ACGTA", w.Sequence));
        Assert.Equal((83L, 103L), (windows[5].Start, windows[5].End));
        Assert.Equal("c:84-103", windows[5].Id);
        Assert.Equal((0L, 5L), (windows[6].Start, windows[6].End));
        Assert.Equal([0L, 20, 40], new GenomeTiler(genome, [], new TilingOptions { WindowBp = 20 }).Starts(0, 60)); // exact fit: no extra window
    }

    private sealed class SyncProgress(List<ProgressInfo> into) : IProgress<ProgressInfo>
    {
        public void Report(ProgressInfo value) => into.Add(value);
    }

    [Fact]
    public void Tile_progress_counts_windows_predicted_not_read_ahead_and_reports_the_end_once()
    {
        using var d = new TempDir("predict-progress");
        var dir = ModelDir(d, FineTuneTask.SingleLabel);
        File.WriteAllText(d.File("g.fa"), ">c\n" + Random(400, 7) + new string('N', 100) + Random(200, 8) + "\n");
        var reports = new List<ProgressInfo>();
        var summary = new PredictJob(CPU, new SyncProgress(reports)).Run(new PredictRequest
        {
            Model = dir, GenomeWide = true, Genome = d.File("g.fa"), Tiling = new TilingOptions { WindowBp = 20, StrideBp = 1 }, Outputs = [d.File("p.tsv")],
        });
        long total = summary.Predicted + summary.SkippedAllN;
        Assert.Equal(681, total);
        // the runner reads every window ahead (its sort window is larger than the input): the first report must still be partial
        Assert.True(reports.Count >= 3, $"{reports.Count} reports");
        Assert.True(reports[0].Done < total);
        Assert.All(reports, r => Assert.Equal(total, r.Total));
        Assert.True(reports.Zip(reports.Skip(1)).All(x => x.First.Done < x.Second.Done), "progress must increase");
        Assert.Single(reports, r => r.Done == total);
        Assert.Equal(total, reports[^1].Done);
    }

    [Fact]
    public void Predictions_equal_the_fine_tuning_runs_own_test_predictions()
    {
        using var d = new TempDir("predict-ft");
        var rows = ToyData.Motif(90, 4, 40);
        void Csv(string name, IEnumerable<DnaFoundation.Evaluation.Datasets.LabeledSequence> r) =>
            File.WriteAllLines(d.File(name), ["sequence,label", .. r.Select(x => $"{x.Sequence},{x.Label}")]);
        Csv("train.csv", rows.Take(60));
        Csv("dev.csv", rows.Skip(60).Take(14));
        Csv("test.csv", rows.Skip(74).Select((x, i) => x with { Sequence = x.Sequence[..(20 + i)] }));  // lengths differ: bucketing reorders
        var cfg = new FineTuneConfig { LearningRate = 1e-3, GlobalBatch = 16, MicroBatch = 16, MaxSteps = 4, WarmupSteps = 0, EvalSteps = 4, MaxLength = 30, EvalBatch = 5 };
        var req = new FineTuneRequest("tiny", "char", false, new FineTuneInputs { Train = d.File("train.csv"), Dev = d.File("dev.csv"), Test = d.File("test.csv") }, cfg, d.File("run"), []);
        new FineTuneJob(CPU).Run(req);
        var final = d.File(Path.Combine("run", "final"));
        Assert.Equal(new ModelTask { Task = FineTuneTask.SingleLabel, Labels = ["0", "1"], MaxLength = 30 }.Labels, ModelTask.Read(final)!.Labels);

        var summary = new PredictJob(CPU).Run(new PredictRequest
        {
            Model = final, Input = d.File("test.csv"), Outputs = [d.File("p.tsv")],
            Options = new PredictOptions { Inference = new InferenceOptions { BatchSize = 3, SortWindow = 8 } },
        });
        Assert.Equal(16, summary.Predicted);
        Assert.True(summary.Truncated > 0);   // sequences over 28 bases are cut at 30 tokens, as in fine-tuning
        var ours = File.ReadAllLines(d.File("p.tsv"));
        var theirs = File.ReadAllLines(d.File(Path.Combine("run", "test_predictions.tsv")));
        Assert.Equal(theirs.Length, ours.Length);
        Assert.Equal(theirs[0], ours[0]);
        for (int i = 1; i < ours.Length; i++)
        {
            var (a, b) = (ours[i].Split('\t'), theirs[i].Split('\t'));
            Assert.Equal(b[0], a[0]);                     // test.csv:LINE
            Assert.Equal(b[3], a[3]);                     // predicted
            for (int k = 1; k <= 2; k++) Assert.Equal(double.Parse(b[k], CultureInfo.InvariantCulture), double.Parse(a[k], CultureInfo.InvariantCulture), 6);
        }
    }

    [Fact]
    public void Token_heads_give_each_base_the_mean_of_the_overlapping_kmers_covering_it()
    {
        using var d = new TempDir("predict-token");
        var dir = ModelDir(d, FineTuneTask.Token, "kmer:3");
        using var predictor = Predictor.Load(dir, CPU);
        var seq = Random(30, 5);
        var p = predictor.Predict([new PredictionInput("s", seq)]).Single();
        Assert.NotNull(p.Bases);
        Assert.All(p.Bases!.Covered, Assert.True);
        // by hand: token t of a 3-mer tokenizer covers bases t..t+2; base 10 is covered by tokens starting at 8, 9, 10
        using var model = ModelDirectory.Load(dir, device: CPU).Model;
        model.eval();
        var enc = predictor.Tokenizer.Encode(seq, new EncodeOptions { MaxLength = 64 });
        using var _ = no_grad();
        var probs = model.Run(tensor(enc.Ids[..enc.TokenCount].Select(i => (long)i).ToArray(), [1, enc.TokenCount])).TokenLogits!.softmax(-1)[0];
        var covering = Enumerable.Range(0, enc.TokenCount).Where(t => !predictor.Tokenizer.IsSpecial(enc.Ids[t]) && enc.Offsets[t].Start <= 10 && 10 < enc.Offsets[t].End).ToList();
        Assert.Equal(3, covering.Count);
        double expected = covering.Average(t => probs[t, 1].item<float>());
        Assert.Equal(expected, p.Bases.Values[10 * 2 + 1], 5);
        // the table: runs of one predicted class tile the covered bases exactly
        var runs = PredictionTable.Runs(p.Bases).ToList();
        Assert.Equal(0, runs[0].Start);
        Assert.Equal(seq.Length, runs[^1].End);
        Assert.All(runs.Zip(runs.Skip(1)), x => Assert.Equal(x.First.End, x.Second.Start));
    }

    [Theory]
    [InlineData(FineTuneTask.SingleLabel)]
    [InlineData(FineTuneTask.MultiLabel)]
    [InlineData(FineTuneTask.Token)]
    public void Rc_average_is_the_mean_of_the_sequence_and_its_reverse_complement(FineTuneTask task)
    {
        using var d = new TempDir("predict-rc");
        var dir = ModelDir(d, task, "char", task == FineTuneTask.MultiLabel ? ["CTCF", "DNase", "H3K4me3"] : null);
        using var plain = Predictor.Load(dir, CPU);
        using var averaged = Predictor.Load(dir, CPU, new PredictOptions { RcAverage = true });
        var seq = Random(25, 6);
        var rc = DnaAlphabet.ReverseComplement(seq);
        var (f, r) = (plain.Predict([new PredictionInput("f", seq)]).Single(), plain.Predict([new PredictionInput("r", rc)]).Single());
        var a = averaged.Predict([new PredictionInput("f", seq)]).Single();
        if (task == FineTuneTask.Token)
        {
            // base i of the sequence is base L-1-i of its reverse complement
            for (int i = 0; i < seq.Length; i++)
                for (int k = 0; k < 2; k++)
                    Assert.Equal((f.Bases!.Values[i * 2 + k] + r.Bases!.Values[(seq.Length - 1 - i) * 2 + k]) / 2, a.Bases!.Values[i * 2 + k], 5);
            return;
        }
        for (int k = 0; k < f.Probabilities.Length; k++) Assert.Equal((f.Probabilities[k] + r.Probabilities[k]) / 2, a.Probabilities[k], 5);
        if (task == FineTuneTask.MultiLabel) Assert.Equal(Enumerable.Range(0, 3).Where(k => a.Probabilities[k] >= 0.5), a.Predicted);
    }

    [Theory]
    [InlineData(FineTuneTask.SingleLabel)]
    [InlineData(FineTuneTask.MultiLabel)]
    [InlineData(FineTuneTask.Token)]
    public void Batched_predictions_equal_batch_one_for_every_head_with_rc_average(FineTuneTask task)
    {
        using var d = new TempDir("predict-batch1");
        var dir = ModelDir(d, task, "kmer:3", task == FineTuneTask.MultiLabel ? ["CTCF", "DNase", "H3K4me3"] : null);
        var inputs = Enumerable.Range(0, 13).Select(i => new PredictionInput($"s{i}", Random(8 + (i * 7) % 40, 20 + i))).ToList();   // lengths differ: batches reorder
        using var one = Predictor.Load(dir, CPU, new PredictOptions { RcAverage = true, Inference = new InferenceOptions { BatchSize = 1, SortWindow = 1 } });
        using var batched = Predictor.Load(dir, CPU, new PredictOptions { RcAverage = true, Inference = new InferenceOptions { BatchSize = 5, MaxBatchTokens = 120 } });
        var a = one.Predict(inputs).ToList();
        var b = batched.Predict(inputs).ToList();
        Assert.Equal(inputs.Select(x => x.Id), b.Select(p => p.Input.Id));
        for (int i = 0; i < a.Count; i++)
        {
            for (int k = 0; k < a[i].Probabilities.Length; k++) Assert.True(Math.Abs(a[i].Probabilities[k] - b[i].Probabilities[k]) <= 1e-5, $"{i}/{k}");
            Assert.Equal(a[i].Predicted, b[i].Predicted);
            if (task == FineTuneTask.Token)
                for (int k = 0; k < a[i].Bases!.Values.Length; k++) Assert.True(Math.Abs(a[i].Bases!.Values[k] - b[i].Bases!.Values[k]) <= 1e-5, $"{i}/base {k}");
        }
    }

    [Fact]
    public async Task Tables_in_tsv_and_parquet_hold_the_same_rows_in_input_order()
    {
        using var d = new TempDir("predict-table");
        var dir = ModelDir(d, FineTuneTask.MultiLabel, "char", ["CTCF", "DNase", "H3K4me3"]);
        File.WriteAllText(d.File("in.fa"), string.Concat(Enumerable.Range(0, 9).Select(i => $">seq{i}\n{Random(10 + 7 * (i % 4), i)}\n")));
        new PredictJob(CPU).Run(new PredictRequest { Model = dir, Input = d.File("in.fa"), Outputs = [d.File("p.tsv"), d.File("p.parquet")] });
        var tsv = File.ReadAllLines(d.File("p.tsv"));
        Assert.Equal("id\tprob_CTCF\tprob_DNase\tprob_H3K4me3\tpredicted", tsv[0]);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"seq{i}"), tsv.Skip(1).Select(l => l.Split('\t')[0]));
        using var fs = File.OpenRead(d.File("p.parquet"));
        var table = (await ParquetSerializer.DeserializeAsync<ParquetRow>(fs)).Data;
        Assert.Equal(9, table.Count);
        for (int i = 0; i < 9; i++)
        {
            var f = tsv[i + 1].Split('\t');
            Assert.Equal(f[0], table[i].id);
            Assert.Equal(float.Parse(f[2], CultureInfo.InvariantCulture), table[i].prob_DNase);
            Assert.Equal(f[4], table[i].predicted);
        }
    }

    private sealed class ParquetRow
    {
#pragma warning disable IDE1006 // the column names are the table's
        public string id { get; set; } = "";
        public float prob_CTCF { get; set; }
        public float prob_DNase { get; set; }
        public float prob_H3K4me3 { get; set; }
        public string predicted { get; set; } = "";
#pragma warning restore IDE1006
    }

    [Fact]
    public void Bad_regions_name_the_bed_file_and_line_and_leave_no_output()
    {
        using var d = new TempDir("predict-bad");
        var dir = ModelDir(d, FineTuneTask.SingleLabel);
        File.WriteAllText(d.File("g.fa"), ">chr1\n" + Random(200, 7) + "\n");
        var cases = new (string Bed, string Expected)[]
        {
            ("chr1\t0\t50\nchr7\t0\t50\n", "g.bed:2: contig 'chr7' is not in the genome"),
            ("chr1\t0\t50\nchr1\t150\t250\n", "g.bed:2: region chr1:150-250 runs past the end of contig 'chr1' (200 bp)"),
            ("chr1\t0\t50\nchr1\tx\t20\n", "g.bed:2: start 'x' is not a non-negative integer"),
            ("chr1\t0\t50\nchr1\t30\t30\n", "g.bed:2: region chr1:30-30 is empty"),
        };
        foreach (var (bed, expected) in cases)
        {
            File.WriteAllText(d.File("g.bed"), bed);
            var e = Assert.Throws<DnaInputException>(() => new PredictJob(CPU).Run(new PredictRequest
            {
                Model = dir, Regions = d.File("g.bed"), Genome = d.File("g.fa"), Outputs = [d.File("out.tsv"), d.File("out.bedgraph")],
            }));
            Assert.Contains(expected, e.Message);
            Assert.Equal(2, e.Line);
            Assert.False(File.Exists(d.File("out.tsv")));
            Assert.False(File.Exists(d.File("out.bedgraph")));
            Assert.Empty(Directory.EnumerateFiles(d.Path, ".out*", SearchOption.AllDirectories));   // no temp files or parts left
        }
        var tile = Assert.Throws<DnaInputException>(() => new PredictJob(CPU).Run(new PredictRequest { Model = dir, Tiles = ["chr9:1-100"], Genome = d.File("g.fa"), Outputs = [d.File("t.tsv")] }));
        Assert.Contains("g.fa: region 'chr9:1-100'", tile.Message);
        var noCoordinates = Assert.Throws<DnaInputException>(() => new PredictJob(CPU).Run(new PredictRequest { Model = dir, Input = d.File("g.fa"), Outputs = [d.File("s.bedgraph")] }));
        Assert.Contains("genome coordinates", noCoordinates.Message);
    }
}
