using DnaFoundation.Evaluation.Metrics;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>One seed's fine-tuning of one task: test metrics of the model chosen on dev, and where it was chosen.</summary>
public sealed record GueSeedResult(
    int Seed, IReadOnlyDictionary<string, double> Test, IReadOnlyDictionary<string, double> Dev,
    long BestStep, long Steps, double Seconds);

/// <summary>One task: status ("ok", "not run", "failed"), settings actually used, per-seed results and their summary.</summary>
public sealed record GueTaskResult(
    string Task, string Status, string? Reason, GueSettings? Settings, IReadOnlyList<GueSeedResult> Seeds,
    IReadOnlyDictionary<string, double> Mean, IReadOnlyDictionary<string, double> Sd,
    IReadOnlyDictionary<string, double>? PublishedMcc)
{
    public const string Ok = "ok", NotRun = "not run", Failed = "failed";

    public static GueTaskResult NotRunBecause(string task, string reason, IReadOnlyDictionary<string, double>? published) =>
        new(task, NotRun, reason, null, [], new Dictionary<string, double>(), new Dictionary<string, double>(), published);

    /// <summary>Mean and sample sd of every test metric over the seeds.</summary>
    public static GueTaskResult Completed(string task, GueSettings settings, IReadOnlyList<GueSeedResult> seeds, IReadOnlyDictionary<string, double>? published)
    {
        var keys = seeds.SelectMany(s => s.Test.Keys).Distinct().ToArray();
        return new GueTaskResult(task, Ok, null, settings, seeds,
            keys.ToDictionary(k => k, k => Statistics.Mean(seeds.Select(s => s.Test[k]))),
            keys.ToDictionary(k => k, k => Statistics.SampleSd(seeds.Select(s => s.Test[k]))),
            published);
    }
}

/// <summary>
/// The whole run, as written to results.json: what model and data, which pinned table, every override given on the
/// command line (also folded into each task's settings), and one entry per task requested, run or not.
/// </summary>
public sealed record GueRunResults(
    string Model, string DataDir, string CreatedUtc, string PinnedSource, string PublishedCitation,
    IReadOnlyDictionary<string, string> Overrides, IReadOnlyList<int> Seeds, string Device,
    IReadOnlyList<GueTaskResult> Tasks);
