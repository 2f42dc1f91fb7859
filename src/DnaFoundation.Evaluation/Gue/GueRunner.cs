using DnaFoundation.Core;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Precision;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>What <c>dnafm bench gue</c> asks for.</summary>
public sealed record GueRunRequest(
    string DataDir, string Model, string? Tokenizer, IReadOnlyList<string> Tasks, IReadOnlyList<int> Seeds,
    IReadOnlyDictionary<string, string> Overrides, bool RandomInit, string OutputDir, PrecisionMode Precision = PrecisionMode.Fp32);

/// <summary>
/// The GUE protocol: for every task folder asked for (or found), the pinned settings with the overrides applied,
/// one fine-tuning per seed (fresh model each time, best model by dev, then test), mean ± sd over seeds, and a
/// results.json / results.md beside the published MCC. A task missing a split is reported "not run".
/// </summary>
public sealed class GueRunner(Device device, IProgress<ProgressInfo>? progress = null, Action<string>? log = null)
{
    public GueRunResults Run(GueRunRequest req, CancellationToken cancel = default)
    {
        var precision = PrecisionPolicy.For(req.Precision, device);
        if (PrecisionHardware.Warning(precision.Mode, device, CpuFeatures.Flags) is string slow) log?.Invoke("warning: " + slow);
        if (req.Precision == PrecisionMode.Auto) log?.Invoke($"precision {precision.Description}");
        var pinned = GuePinnedSettings.Embedded();
        var published = GuePublishedScores.Embedded();
        var tasks = GueTaskDiscovery.Select(req.DataDir, req.Tasks);
        if (tasks.Count == 0) throw new DnaInputException("no GUE task folders (with train/dev/test.csv) under this folder", req.DataDir);
        var results = new List<GueTaskResult>();
        foreach (var task in tasks)
        {
            var pub = published.Find(task.Name)?.Mcc;
            if (task.MissingSplit() is string missing)
            {
                log?.Invoke($"{task.Name}: not run ({missing})");
                results.Add(GueTaskResult.NotRunBecause(task.Name, missing, pub));
                continue;
            }
            results.Add(RunTask(req, task, pinned.For(task.Name, req.Overrides), pinned.Covers(task.Name), pub, cancel));
            // Written after every task, so a long run interrupted midway still leaves its finished tasks behind.
            GueReportWriter.Write(Results(req, pinned, results), req.OutputDir);
        }
        var final = Results(req, pinned, results);
        GueReportWriter.Write(final, req.OutputDir);
        return final;
    }

    private GueRunResults Results(GueRunRequest req, GuePinnedSettings pinned, List<GueTaskResult> tasks) =>
        new(req.Model + (req.RandomInit ? " (random init)" : ""), req.DataDir, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            pinned.Source, GuePublishedScores.Citation, req.Overrides, req.Seeds, device.ToString(), tasks);

    private GueTaskResult RunTask(GueRunRequest req, GueTask task, GueSettings s, bool isPinned, IReadOnlyDictionary<string, double>? pub, CancellationToken cancel)
    {
        var train = LabeledSequenceReader.ReadSingleLabel(task.TrainCsv);
        var dev = LabeledSequenceReader.ReadSingleLabel(task.DevCsv);
        var test = LabeledSequenceReader.ReadSingleLabel(task.TestCsv);
        int classes = LabeledSequenceReader.ClassCount(train, task.TrainCsv);
        var seeds = new List<GueSeedResult>();
        GueSettings used = s;
        foreach (var seed in req.Seeds)
        {
            cancel.ThrowIfCancellationRequested();
            var loaded = ModelSource.Load(req.Model, req.Tokenizer, ModelHeads.Sequence, [$"num_labels={classes}"], req.RandomInit, seed, device);
            using var model = loaded.Model;
            used = WithMaxLength(s, loaded.Tokenizer, train.Concat(dev).Concat(test), model.Config.MaxPositionEmbeddings, req.Overrides.ContainsKey("max_length"), isPinned);
            var cfg = ToFineTune(used, seed, req.Precision);
            var trainRows = Subsample(train, used.MaxTrainExamples, seed);
            var devRows = Subsample(dev, used.MaxDevExamples, seed);
            var trainEx = FineTuneExamples.Single(trainRows, loaded.Tokenizer, used.MaxLength);
            var devEx = FineTuneExamples.Single(devRows, loaded.Tokenizer, used.MaxLength);
            var testEx = FineTuneExamples.Single(test, loaded.Tokenizer, used.MaxLength);
            log?.Invoke($"{task.Name} seed {seed}: {trainEx.Length} train / {devEx.Length} dev / {testEx.Length} test, {FineTuner.TotalSteps(cfg, trainEx.Length)} steps, max length {used.MaxLength}; {loaded.Origin}");
            var runDir = Path.Combine(req.OutputDir, "runs", task.Name.Replace('/', '_'), $"seed-{seed}");
            var result = new FineTuner(cfg, device, progress).Run(model, loaded.Tokenizer.PadId, trainEx, devEx, runDir, cancel);
            var (_, probs) = FineTuneEvaluation.Run(model, testEx, FineTuneTask.SingleLabel, cfg.EvalBatch, device);
            var testMetrics = FineTuneEvaluation.Score(testEx, probs, FineTuneTask.SingleLabel);
            var devMetrics = new Dictionary<string, double>(result.Best!.Metrics) { ["loss"] = result.Best.Loss };
            seeds.Add(new GueSeedResult(seed, testMetrics, devMetrics, result.BestStep, result.Steps, result.Seconds));
            log?.Invoke($"{task.Name} seed {seed}: test MCC {testMetrics["mcc"]:F4} (best dev step {result.BestStep} of {result.Steps}, {result.Seconds:F0} s)");
        }
        return GueTaskResult.Completed(task.Name, used, seeds, pub);
    }

    /// <summary>
    /// The pinned max_length counts DNABERT-2 BPE tokens. For another tokenizer (k-mer, char) that length would cut
    /// most of each sequence, so unless --max-length is given the longest tokenized sequence of the task is used
    /// (capped by the model's positions), and the settings record it.
    /// </summary>
    internal static GueSettings WithMaxLength(GueSettings s, DnaTokenizer tok, IEnumerable<LabeledSequence> rows, int maxPositions, bool overridden, bool isPinned)
    {
        if (overridden || (tok.Spec == "bpe" && isPinned)) return s;
        int longest = rows.Max(r => tok.Encode(r.Sequence).TokenCount);
        return s with { MaxLength = Math.Min(longest, maxPositions) };
    }

    internal static FineTuneConfig ToFineTune(GueSettings s, int seed, PrecisionMode precision) =>
        s with { Task = FineTuneTask.SingleLabel, Seed = seed, Precision = precision };

    /// <summary>A seeded subset (quick runs); the order of the kept rows is the file's.</summary>
    internal static IReadOnlyList<T> Subsample<T>(IReadOnlyList<T> rows, int max, int seed)
    {
        if (max <= 0 || max >= rows.Count) return rows;
        var idx = Enumerable.Range(0, rows.Count).ToArray();
        new Random(seed).Shuffle(idx);
        return idx.Take(max).Order().Select(i => rows[i]).ToList();
    }
}
