using System.Diagnostics;
using System.Globalization;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Metrics;
using DnaFoundation.Model;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Evaluation costs, side by side in one run: (1) AUROC by tie-grouped sorting vs the O(n²) pair count it must equal
/// (same answer, the ratio is the point); (2) a fine-tuning step of global batch 32 as one micro-batch vs 4 × 8 with
/// accumulation (what the global-batch invariance costs on CPU); (3) dev evaluation throughput.
/// </summary>
public sealed class EvalBenchmark : IBenchmark
{
    public string Name => "eval";

    public string Description => "AUROC sort vs pair count; fine-tune step 1×32 vs 4×8 accumulation; eval sequences/s.";

    public int Run(string[] args)
    {
        int threads = args.Length > 0 && int.TryParse(args[0], out var t) ? t : 2;
        set_num_threads(threads);
        Console.WriteLine($"threads {threads}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var rng = new Random(1);
        int n = 4000;
        var truth = Enumerable.Range(0, n).Select(_ => rng.Next(2) == 1).ToArray();
        var score = Enumerable.Range(0, n).Select(i => rng.Next(100) + (truth[i] ? 10.0 : 0)).ToArray();
        var sw = Stopwatch.StartNew();
        double fast = 0;
        for (int r = 0; r < 20; r++) fast = RankingMetrics.Auroc(truth, score);
        double fastMs = sw.Elapsed.TotalMilliseconds / 20;
        sw.Restart();
        double wins = 0, pairs = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++)
            if (truth[i] && !truth[j]) { pairs++; wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0; }
        double slowMs = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine("| measurement | ours | reference | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine(Row($"AUROC, {n} examples with ties (ms)", fastMs, slowMs, $"equal: {Math.Abs(fast - wins / pairs) < 1e-12}"));

        var tok = DnaTokenizers.Load("kmer:6");
        var rows = Enumerable.Range(0, 96).Select(i => new LabeledSequence($"r{i}", new string(Enumerable.Range(0, 100).Select(_ => "ACGT"[rng.Next(4)]).ToArray()), i % 2)).ToList();
        var ex = FineTuneExamples.Single(rows, tok, 128);
        double StepMs(int micro)
        {
            random.manual_seed(1);
            using var model = ModelFactory.Create(ModelPresets.Load("tiny") with { VocabSize = tok.VocabSize, NumLabels = 2 }, ModelHeads.Sequence);
            var cfg = new FineTuneConfig { GlobalBatch = 32, MicroBatch = micro, Epochs = 1, EvalSteps = 1000, WarmupSteps = 0 };
            var r = new FineTuner(cfg, CPU).Run(model, tok.PadId, ex, ex.Take(32).ToList());
            return r.Seconds * 1000 / r.Steps;
        }
        double one = StepMs(32), four = StepMs(8);
        Console.WriteLine(Row("fine-tune step incl. final dev pass, tiny, 32 × 100 bp (ms/step): 1×32 vs 4×8", one, four, ""));
        random.manual_seed(1);
        using (var model = ModelFactory.Create(ModelPresets.Load("tiny") with { VocabSize = tok.VocabSize, NumLabels = 2 }, ModelHeads.Sequence))
        {
            sw.Restart();
            FineTuneEvaluation.Run(model, ex, FineTuneTask.SingleLabel, 64, CPU);
            Console.WriteLine($"| evaluation, tiny, 100 bp | {ex.Length / sw.Elapsed.TotalSeconds:F0} sequences/s | | |");
        }
        return 0;
    }

    private static string Row(string what, double ours, double reference, string note) =>
        string.Create(CultureInfo.InvariantCulture, $"| {what} | {ours:F2} | {reference:F2} | {reference / ours:F1}× {note} |");
}
