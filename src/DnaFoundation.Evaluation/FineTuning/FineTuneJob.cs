using System.Text.Json;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Baselines;
using DnaFoundation.Evaluation.Chromatin;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Evaluation.Metrics;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Distributed;
using DnaFoundation.Training.Precision;
using static TorchSharp.torch;
using DnaFoundation.Data.Reference;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>
/// Where the labelled data comes from. Exactly one form: <see cref="Train"/>/<see cref="Dev"/>/<see cref="Test"/>
/// as CSV/TSV (single- or multi-label by the task), or FASTA with <see cref="Labels"/> (id → class) files, or FASTA
/// with <see cref="Bed"/> regions (token task); or a chromatin feature folder binned on <see cref="Genome"/>.
/// </summary>
public sealed record FineTuneInputs
{
    public string? Train { get; init; }
    public string? Dev { get; init; }
    public string? Test { get; init; }
    public string[]? Labels { get; init; }
    public string? Bed { get; init; }
    public string? ChromatinDir { get; init; }
    public string? Genome { get; init; }
    public string? Contig { get; init; }
    public string DevRegion { get; init; } = "45000000-50000000";
    public string TestRegion { get; init; } = "55000000-63025520";
    /// <summary>Chromatin only: at most this many training bins (seeded choice), for CPU-sized runs; 0 = all.</summary>
    public int MaxTrainBins { get; init; }
    public int MaxEvalBins { get; init; }
}

public sealed record FineTuneRequest(
    string Model, string? Tokenizer, bool RandomInit, FineTuneInputs Inputs, FineTuneConfig Config, string OutputDir,
    IReadOnlyList<string> ModelOverrides, bool KmerBaseline = false);

/// <summary>The library entry point behind <c>dnafm finetune</c>: read data, fine-tune, test, save, report.</summary>
/// <remarks>Under mpirun (<paramref name="communicator"/>) every rank fine-tunes; only rank 0 saves and reports.</remarks>
public sealed class FineTuneJob(Device device, IProgress<ProgressInfo>? progress = null, Action<string>? log = null, ICommunicator? communicator = null)
{
    private readonly List<string> droppedIntervals = [];

    private sealed record Split(FineTuneExample[] Train, FineTuneExample[] Dev, FineTuneExample[] Test);

    private sealed record Tables(IReadOnlyList<string> Train, IReadOnlyList<string> Dev, IReadOnlyList<string> Test,
        byte[,]? TrainY, byte[,]? DevY, byte[,]? TestY);

    /// <summary>Reads the data, fine-tunes, saves <c>OUTPUT/final</c>, scores the test split and writes <c>results.json</c>.</summary>
    /// <returns>The run's results (what <c>results.json</c> holds); null on ranks other than 0 under mpirun, which neither save nor report.</returns>
    public FineTuneJobResult? Run(FineTuneRequest req, CancellationToken cancel = default)
    {
        var c = req.Config;
        var precision = PrecisionPolicy.For(c.Precision, device);
        if (PrecisionHardware.Warning(precision.Mode, device, CpuFeatures.Flags) is string slow) log?.Invoke("warning: " + slow);
        if (c.Precision == PrecisionMode.Auto) log?.Invoke($"precision {precision.Description}");
        var heads = c.Task == FineTuneTask.Token ? ModelHeads.Token : ModelHeads.Sequence;
        // Labels first: the head's width comes from the data.
        var (labelNames, groups, readSplit, tables) = ReadData(req);
        var overrides = new List<string>(req.ModelOverrides) { $"num_labels={labelNames.Count}" };
        if (c.Task == FineTuneTask.MultiLabel) overrides.Add("problem_type=multi_label_classification");
        var loaded = ModelSource.Load(req.Model, req.Tokenizer, heads, overrides, req.RandomInit, c.Seed, device);
        using var model = loaded.Model;
        var data = readSplit(loaded.Tokenizer);
        log?.Invoke($"{data.Train.Length} train / {data.Dev.Length} dev / {data.Test.Length} test examples, {labelNames.Count} label(s); {loaded.Origin}");
        var result = new FineTuner(c, device, progress, communicator).Run(model, loaded.Tokenizer.PadId, data.Train, data.Dev, req.OutputDir, cancel);
        if (communicator is { IsRoot: false }) return null;
        var final = Path.Combine(req.OutputDir, "final");
        ModelDirectory.Save(model, final);
        // The tokenizer files a model directory ships (a published one's tokenizer_config.json, truncation settings…)
        // go on as they are, so `model export` hands PyTorch users the family's own files; otherwise ours are written.
        bool shipped = req.Tokenizer is null && Directory.Exists(req.Model) && Export.ModelExporter.CopyTokenizerFiles(req.Model, final).Count > 0;
        if (!shipped) loaded.Tokenizer.Save(Path.Combine(final, loaded.Tokenizer.Spec == "bpe" ? "tokenizer.json" : "vocab.txt"));
        // What the head predicts and how inputs were cut, so `dnafm predict` tokenizes as this run did.
        var task = new ModelTask { Task = c.Task, Labels = labelNames.ToArray(), MaxLength = c.MaxLength };
        task.Write(final);

        var report = new FineTuneJobResult
        {
            Model = req.Model, Origin = loaded.Origin, InitializedHeads = loaded.InitializedHeads,
            Tokenizer = loaded.Tokenizer.Spec, Config = c, Inputs = req.Inputs, Labels = labelNames,
            Steps = result.Steps, BestStep = result.BestStep, StoppedEarly = result.StoppedEarly,
            Seconds = result.Seconds, TrainableParameters = result.TrainableParameters, FinalModel = final,
            BestDev = result.Best,
            DroppedInputRows = [.. droppedIntervals],
            Precision = precision.Name, Blas = BlasProvider.Current.Signature,
        };
        if (c.Task != FineTuneTask.Token && data.Test.Length > 0)
        {
            var (loss, probs) = FineTuneEvaluation.Run(model, data.Test, c.Task, c.EvalBatch, device);
            report = report with
            {
                TestLoss = loss,
                Test = FineTuneEvaluation.Score(data.Test, probs, c.Task),
                TestPredictions = WriteTestPredictions(Path.Combine(req.OutputDir, "test_predictions.tsv"), task, data.Test, probs),
            };
            if (c.Task == FineTuneTask.MultiLabel)
            {
                var per = MultiLabelReport.PerLabel(Truth(data.Test), probs, labelNames, groups);
                report = report with
                {
                    TestPerLabel = per,
                    TestMedianAurocByGroup = MultiLabelReport.MedianAurocByGroup(per),
                    KmerBaseline = req.KmerBaseline && tables is not null ? Baseline(tables, labelNames, groups, c.Seed) : null,
                };
            }
        }
        OutputFiles.WriteText(Path.Combine(req.OutputDir, "results.json"), JsonSerializer.Serialize(report, JsonOptions));
        return report;
    }

    /// <summary>
    /// The test split's probabilities in <c>dnafm predict</c>'s table layout (same ids, columns and calls), so a later
    /// predict on the same rows can be compared with what fine-tuning itself saw.
    /// </summary>
    private static string WriteTestPredictions(string path, ModelTask task, IReadOnlyList<FineTuneExample> test, float[,] probs)
    {
        using var table = new PredictionTable(path, task, genomic: false);
        int c = probs.GetLength(1);
        for (int i = 0; i < test.Count; i++)
        {
            var p = Enumerable.Range(0, c).Select(k => probs[i, k]).ToArray();
            int[] predicted = task.Task == FineTuneTask.MultiLabel
                ? Enumerable.Range(0, c).Where(k => p[k] >= new PredictOptions().Threshold).ToArray()
                : [Enumerable.Range(0, c).Aggregate(0, (best, k) => p[k] > p[best] ? k : best)];
            table.Add(new Prediction(new PredictionInput(test[i].Source ?? $"test:{i + 1}", ""), p, predicted, null, false));
        }
        table.Commit();
        return path;
    }

    internal static readonly JsonSerializerOptions JsonOptions = new(ConfigLoader.Options)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private KmerBaselineResult Baseline(Tables t, IReadOnlyList<string> names, IReadOnlyList<string> groups, int seed)
    {
        var options = new KmerLogisticOptions(Seed: seed);
        var lr = KmerLogisticRegression.Fit(t.Train, t.TrainY!, t.Dev, t.DevY!, options);
        var per = MultiLabelReport.PerLabel(t.TestY!, lr.PredictProbabilities(t.Test), names, groups);
        log?.Invoke($"k-mer baseline: best iteration {lr.BestIteration}, mean test AUROC {Statistics.Mean(per.Where(p => !double.IsNaN(p.Auroc)).Select(p => p.Auroc)):F4}");
        return new KmerBaselineResult(options, lr.BestIteration, per, MultiLabelReport.MedianAurocByGroup(per));
    }

    private static byte[,] Truth(FineTuneExample[] ex)
    {
        int l = ex[0].Labels!.Length;
        var y = new byte[ex.Length, l];
        for (int i = 0; i < ex.Length; i++) for (int j = 0; j < l; j++) y[i, j] = (byte)ex[i].Labels![j];
        return y;
    }

    /// <summary>Reads the inputs once; returns label names, their groups, and a function that tokenizes the splits.</summary>
    private (IReadOnlyList<string> Names, IReadOnlyList<string> Groups, Func<DnaTokenizer, Split> Encode, Tables? Tables) ReadData(FineTuneRequest req)
    {
        var i = req.Inputs;
        var c = req.Config;
        int max = c.MaxLength;
        if (i.ChromatinDir is not null)
        {
            if (c.Task != FineTuneTask.MultiLabel) throw new DnaInputException("chromatin BED files need the multi-label task");
            if (i.Genome is null) throw new DnaInputException("chromatin BED files need a genome (the FASTA the BED files label)");
            using var genome = FastaGenome.Open(i.Genome, cacheContigs: true);
            var contig = i.Contig ?? genome.Contigs.First();
            var binning = new ChromatinBinning();
            var (features, bins) = ChromatinDataset.Build(i.ChromatinDir, genome, contig,
                ChromatinDataset.ParseRange(i.DevRegion, "dev region"), ChromatinDataset.ParseRange(i.TestRegion, "test region"), binning, droppedIntervals);
            foreach (var g in droppedIntervals.GroupBy(d => d[..d.IndexOf(':')]))
                log?.Invoke($"warning: {g.Count()} interval(s) with end before start dropped from {g.Key}, e.g. {g.First()}");
            IReadOnlyList<ChromatinBin> Pick(ChromatinSplit s, int cap) => GueSubsample(bins.Where(b => b.Split == s).ToList(), cap, c.Seed);
            var (tr, dv, te) = (Pick(ChromatinSplit.Train, i.MaxTrainBins), Pick(ChromatinSplit.Dev, i.MaxEvalBins), Pick(ChromatinSplit.Test, i.MaxEvalBins));
            log?.Invoke($"chromatin: {bins.Count} bins on {contig} ({tr.Count} train, {dv.Count} dev, {te.Count} test used), {features.Count} features");
            List<MultiLabeledSequence> Rows(IReadOnlyList<ChromatinBin> b) =>
                b.Select(x => new MultiLabeledSequence($"{contig}:{x.Start}", ChromatinBinner.Context(genome, contig, x.Start, binning), x.Labels)).ToList();
            var (rtr, rdv, rte) = (Rows(tr), Rows(dv), Rows(te));
            var tables = new Tables(rtr.Select(r => r.Sequence).ToList(), rdv.Select(r => r.Sequence).ToList(), rte.Select(r => r.Sequence).ToList(), Y(rtr), Y(rdv), Y(rte));
            return (features.Select(f => f.Name).ToList(), features.Select(f => f.Group).ToList(),
                tok => new Split(FineTuneExamples.Multi(rtr, tok, max), FineTuneExamples.Multi(rdv, tok, max), FineTuneExamples.Multi(rte, tok, max)), tables);
        }
        if (i.Train is null || i.Dev is null) throw new DnaInputException("give train and dev files (and usually a test file), or chromatin BED files with a genome");
        bool fasta = IsFasta(i.Train);
        switch (c.Task)
        {
            case FineTuneTask.SingleLabel:
            {
                IReadOnlyList<LabeledSequence> Read(string p, int k) => fasta
                    ? FastaInputs.WithLabels(p, i.Labels is { Length: > 0 } l ? l[Math.Min(k, l.Length - 1)] : throw new DnaInputException("FASTA input needs label files (one id<TAB>label file per split, in train, dev, test order)"))
                    : LabeledSequenceReader.ReadSingleLabel(p);
                var (tr, dv) = (Read(i.Train, 0), Read(i.Dev, 1));
                var te = i.Test is null ? [] : Read(i.Test, 2);
                int k = LabeledSequenceReader.ClassCount(tr, i.Train);
                var names = Enumerable.Range(0, k).Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
                return (names, names, tok => new Split(FineTuneExamples.Single(tr, tok, max), FineTuneExamples.Single(dv, tok, max), FineTuneExamples.Single(te, tok, max)), null);
            }
            case FineTuneTask.MultiLabel:
            {
                var (tr, dv) = (LabeledSequenceReader.ReadMultiLabel(i.Train), LabeledSequenceReader.ReadMultiLabel(i.Dev));
                var te = i.Test is null ? null : LabeledSequenceReader.ReadMultiLabel(i.Test);
                if (!dv.LabelNames.SequenceEqual(tr.LabelNames)) throw new DnaInputException("label columns differ from the training file's", i.Dev);
                var groups = tr.LabelNames.Select(ChromatinDataset.GroupOf).ToList();
                var tables = te is null ? null : new Tables(tr.Rows.Select(r => r.Sequence).ToList(), dv.Rows.Select(r => r.Sequence).ToList(), te.Rows.Select(r => r.Sequence).ToList(), Y(tr.Rows), Y(dv.Rows), Y(te.Rows));
                return (tr.LabelNames, groups, tok => new Split(FineTuneExamples.Multi(tr.Rows, tok, max), FineTuneExamples.Multi(dv.Rows, tok, max), te is null ? [] : FineTuneExamples.Multi(te.Rows, tok, max)), tables);
            }
            default:
            {
                if (!fasta || i.Bed is null) throw new DnaInputException("the token task needs FASTA train and dev files with BED regions");
                var (trS, trY) = FastaInputs.WithRegions(i.Train, i.Bed);
                var (dvS, dvY) = FastaInputs.WithRegions(i.Dev, i.Bed);
                return (["outside", "inside"], ["token", "token"], tok => new Split(FineTuneExamples.Token(trS, trY, tok, max), FineTuneExamples.Token(dvS, dvY, tok, max), []), null);
            }
        }
    }

    private static byte[,] Y(IReadOnlyList<MultiLabeledSequence> rows)
    {
        int l = rows.Count == 0 ? 0 : rows[0].Labels.Length;
        var y = new byte[rows.Count, l];
        for (int r = 0; r < rows.Count; r++) for (int j = 0; j < l; j++) y[r, j] = rows[r].Labels[j];
        return y;
    }

    private static IReadOnlyList<T> GueSubsample<T>(IReadOnlyList<T> rows, int max, int seed) => Gue.GueRunner.Subsample(rows, max, seed);

    private static bool IsFasta(string path)
    {
        var p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return Path.GetExtension(p).ToLowerInvariant() is ".fa" or ".fasta" or ".fna";
    }
}
