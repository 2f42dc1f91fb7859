using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;
using static DnaFoundation.Benchmarks.BenchmarkSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Batched inference throughput, side by side in one run: <c>dnafm predict</c>'s <see cref="Predictor"/> (tokenizing,
/// length-bucketed batches, softmax and top-1 on the device, results in input order) and <see cref="Embedder"/> (mean
/// pooling on the device) against the same architecture in PyTorch (benchmarks/python/inference.py: the same token ids,
/// sorted by length, batches of 64, inference_mode) on GUE prom_300_all test sequences with a 6-layer/512-hidden
/// DNABERT-2-layout model and DNABERT-2's BPE. Our side includes tokenization; PyTorch's gets the ids ready-made.
/// Sides alternate per round; each side's best round is reported (a shared machine only ever slows a round down).
/// </summary>
public sealed class InferenceBenchmark : IBenchmark
{
    public string Name => "inference";

    public string Description => "predict/embed sequences/s vs a batched PyTorch loop (GUE prom_300, 6x512 DNABERT-2 layout).";

    public int Run(string[] args)
    {
        int n = IntArg(args, "--sequences", 2000), threads = IntArg(args, "--threads", 2), batch = IntArg(args, "--batch", 64), rounds = IntArg(args, "--rounds", 1);
        if (PromoterInputs() is not { } shared) return 2;
        var (csv, tokenizerJson) = shared;
        bool retained = NativeAllocator.RetainFreedMemory();
        set_num_threads(threads);
        var rows = LabeledSequenceReader.ReadSingleLabel(csv).Take(n).ToList();
        var tok = DnaTokenizers.Load(tokenizerJson);
        var config = ModelPresets.Load("dnabert2-117m") with
        {
            HiddenSize = 512, NumHiddenLayers = 6, NumAttentionHeads = 8, IntermediateSize = 2048, VocabSize = tok.VocabSize, NumLabels = 2,
            HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, PadTokenId = tok.PadId, MaskTokenId = tok.MaskId,
        };
        manual_seed(0);
        using var model = ModelFactory.Create(config, ModelHeads.Sequence);
        var inference = new InferenceOptions { BatchSize = batch };
        var task = new ModelTask { Task = FineTuneTask.SingleLabel, Labels = ["0", "1"], MaxLength = 512 };
        using var predictor = new Predictor(model, tok, task, CPU, new PredictOptions { Inference = inference });
        var embedder = new Embedder(model, tok, CPU, inference);
        var inputs = rows.Select(r => new PredictionInput(r.Id, r.Sequence)).ToList();

        using var temp = new TempDirectory();
        var ids = Path.Combine(temp.Path, "ids.txt");
        File.WriteAllLines(ids, rows.Select(r => tok.Encode(r.Sequence, new EncodeOptions { MaxLength = task.MaxLength })).Select(e => string.Join(' ', e.Ids[..e.TokenCount])));
        double meanTokens = File.ReadLines(ids).Average(l => l.Split(' ').Length);

        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores; load average at start {LoadAverage()}");
        Console.WriteLine($"{rows.Count} GUE prom_300_all test sequences ({meanTokens:F1} tokens on average with DNABERT-2 BPE), {config.NumHiddenLayers} layers x {config.HiddenSize}, " +
                          $"batch {batch}, {threads} threads, fp32; malloc {(retained ? "retained" : "glibc default")} on both sides");
        predictor.Predict(inputs.Take(batch)).Count();                                              // warm-up
        var ours = new List<(double Predict, double Embed)>();
        var theirs = new List<(double Predict, double Embed)>();
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            int predicted = predictor.Predict(inputs).Count();
            double predict = predicted / sw.Elapsed.TotalSeconds;
            sw.Restart();
            int embedded = embedder.EmbedAll(rows.Select(x => (x.Id, x.Sequence)), new EmbedOptions(Pooling.Mean)).Count();
            double embed = embedded / sw.Elapsed.TotalSeconds;
            ours.Add((predict, embed));
            Console.Error.WriteLine($"round {r + 1}: dnafm predict {predict:F1}/s embed {embed:F1}/s");
            if (RunPython(config, ids, batch, threads, retained) is { } py) theirs.Add(py);
        }
        Console.WriteLine($"load average at end {LoadAverage()}");
        Console.WriteLine("| path | dnafm (sequences/s) | PyTorch (sequences/s) | ratio |");
        Console.WriteLine("|---|---|---|---|");
        string Ratio(double a, double b) => b > 0 ? (a / b).ToString("F2", CultureInfo.InvariantCulture) + "x" : "n/a";
        double op = ours.Max(x => x.Predict), oe = ours.Max(x => x.Embed);
        double tp = theirs.Count > 0 ? theirs.Max(x => x.Predict) : 0, te = theirs.Count > 0 ? theirs.Max(x => x.Embed) : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| predict (classifier, softmax, top-1) | {op:F1} | {(tp > 0 ? tp.ToString("F1", CultureInfo.InvariantCulture) : "n/a")} | {Ratio(op, tp)} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| embed (mean pooling) | {oe:F1} | {(te > 0 ? te.ToString("F1", CultureInfo.InvariantCulture) : "n/a")} | {Ratio(oe, te)} |"));
        return 0;
    }

    private static (double Predict, double Embed)? RunPython(EncoderConfig c, string ids, int batch, int threads, bool retained)
    {
        var script = Path.Combine(RepoRoot(), "benchmarks", "python", "inference.py");
        if (!File.Exists("/usr/bin/python3")) return null;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add("--ids");
        psi.ArgumentList.Add(ids);
        foreach (var (k, v) in new[] { ("--vocab", c.VocabSize), ("--hidden", c.HiddenSize), ("--layers", c.NumHiddenLayers), ("--heads", c.NumAttentionHeads),
                     ("--intermediate", c.IntermediateSize), ("--pad", c.PadTokenId ?? 0), ("--labels", c.LabelCount), ("--batch", batch), ("--threads", threads) })
        {
            psi.ArgumentList.Add(k);
            psi.ArgumentList.Add(v.ToString(CultureInfo.InvariantCulture));
        }
        // A reference tool runs with its own BLAS defaults; the malloc policy is the same on both sides.
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        psi.Environment.Remove("OPENBLAS_L2_SIZE");
        foreach (var (k, v) in NativeAllocator.ChildEnvironment)
        {
            if (retained) psi.Environment[k] = v;
            else psi.Environment.Remove(k);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            Console.Error.WriteLine($"PyTorch side failed ({p.ExitCode}): {stderr.Split('\n').LastOrDefault(l => l.Length > 0)}");
            return null;
        }
        Console.Error.WriteLine($"PyTorch: {stdout.Result.Trim()}");
        using var doc = JsonDocument.Parse(stdout.Result.Trim().Split('\n')[^1]);
        var r = doc.RootElement;
        return (r.GetProperty("predict_seq_per_s").GetDouble(), r.GetProperty("embed_seq_per_s").GetDouble());
    }
}
