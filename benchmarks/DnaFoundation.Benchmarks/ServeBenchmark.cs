using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static DnaFoundation.Benchmarks.BenchmarkSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// A bounded load test of <c>dnafm serve</c> on 127.0.0.1: the server runs as its own process (as a user starts it),
/// --clients concurrent HttpClients send --requests single-sequence /predict requests in all (GUE prom_300_all test
/// sequences) and stop by themselves. Reports throughput, p50/p99 latency, failed requests and the batch sizes the
/// server formed (its /health), beside the offline rate of <see cref="Predictor"/> (what <c>dnafm predict</c> runs)
/// on the same sequences, same model and threads, in this process after the server has stopped.
/// </summary>
public sealed class ServeBenchmark : IBenchmark
{
    public string Name => "serve";

    public string Description => "dnafm serve load test on 127.0.0.1 (concurrent clients) vs the offline predict rate.";

    public int Run(string[] args)
    {
        int requests = IntArg(args, "--requests", 2000), clients = IntArg(args, "--clients", 8), threads = IntArg(args, "--threads", 2);
        int layers = IntArg(args, "--layers", 6), hidden = IntArg(args, "--hidden", 512), maxWait = IntArg(args, "--max-wait-ms", 5);
        var root = RepoRoot();
        if (PromoterInputs() is not { } shared) return 2;
        var (csv, tokenizerJson) = shared;
        var sequences = LabeledSequenceReader.ReadSingleLabel(csv).Take(requests).Select(r => r.Sequence).ToList();
        using var temp = new TempDirectory();
        var modelDir = SaveModel(temp.Path, tokenizerJson, layers, hidden);

        Console.WriteLine($"CPU: {CpuModel()}, {Environment.ProcessorCount} cores; load average at start {LoadAverage()}");
        Console.WriteLine($"{sequences.Count} requests of one GUE prom_300_all sequence, {clients} concurrent clients, model {layers} x {hidden} (DNABERT-2 layout, BPE), " +
                          $"server --threads {threads} --max-wait-ms {maxWait}, default --batch-size");
        var (throughput, p50, p99, failed, batchSizes) = LoadTest(root, modelDir, sequences, clients, threads, maxWait);

        set_num_threads(threads);
        using var predictor = Predictor.Load(modelDir, CPU);
        var inputs = sequences.Select((s, i) => new PredictionInput($"s{i}", s)).ToList();
        predictor.Predict(inputs.Take(64)).Count();                                                  // warm-up
        var sw = Stopwatch.StartNew();
        int n = predictor.Predict(inputs).Count();
        double offline = n / sw.Elapsed.TotalSeconds;

        Console.WriteLine($"load average at end {LoadAverage()}");
        Console.WriteLine("| measurement | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| serve throughput | {throughput:F1} requests/s ({throughput / offline:F2}x offline) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| offline predict, same sequences | {offline:F1} sequences/s |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| latency p50 / p99 | {p50:F0} / {p99:F0} ms |"));
        Console.WriteLine($"| failed requests | {failed} |");
        Console.WriteLine($"| batch sizes formed (size: batches) | {batchSizes} |");
        return failed == 0 ? 0 : 1;
    }

    private static string SaveModel(string dir, string tokenizerJson, int layers, int hidden)
    {
        var tok = DnaTokenizers.Load(tokenizerJson);
        var config = ModelPresets.Load("dnabert2-117m") with
        {
            HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = hidden / 64, IntermediateSize = 4 * hidden, VocabSize = tok.VocabSize, NumLabels = 2,
            HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, PadTokenId = tok.PadId, MaskTokenId = tok.MaskId,
        };
        manual_seed(0);
        using var model = ModelFactory.Create(config, ModelHeads.Sequence);
        var path = Path.Combine(dir, "model");
        ModelDirectory.Save(model, path);
        File.Copy(tokenizerJson, Path.Combine(path, "tokenizer.json"));
        new ModelTask { Task = FineTuneTask.SingleLabel, Labels = ["0", "1"], MaxLength = 512 }.Write(path);
        return path;
    }

    private static (double Throughput, double P50, double P99, int Failed, string BatchSizes) LoadTest(
        string root, string modelDir, IReadOnlyList<string> sequences, int clients, int threads, int maxWait)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "dnafm.dll"), "serve", "--model", modelDir, "--port", "0",
                     "--threads", threads.ToString(CultureInfo.InvariantCulture), "--max-wait-ms", maxWait.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        using var server = Process.Start(psi)!;
        var stderr = server.StandardError.ReadToEndAsync();
        try
        {
            string? line;
            while ((line = server.StandardOutput.ReadLine()) is not null && !line.StartsWith("listening on ", StringComparison.Ordinal)) { }
            if (line is null) throw new InvalidOperationException("dnafm serve did not start: " + stderr.Result);
            var address = new Uri(line["listening on ".Length..].Split(' ')[0]);
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
            http.PostAsJsonAsync("/predict", new { sequences = sequences.Take(8).ToArray() }).GetAwaiter().GetResult().EnsureSuccessStatusCode();   // warm-up
            var before = http.GetFromJsonAsync<JsonElement>("/health").GetAwaiter().GetResult();

            var latencies = new double[sequences.Count];
            int next = -1, failed = 0;
            var wall = Stopwatch.StartNew();
            Task.WaitAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < sequences.Count)
                {
                    var t = Stopwatch.StartNew();
                    try
                    {
                        using var r = await http.PostAsJsonAsync("/predict", new { sequences = new[] { sequences[i] } });
                        var body = await r.Content.ReadAsStringAsync();
                        if (!r.IsSuccessStatusCode || !body.Contains("\"probabilities\"", StringComparison.Ordinal)) Interlocked.Increment(ref failed);
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                    latencies[i] = t.Elapsed.TotalMilliseconds;
                }
            })).ToArray());
            double seconds = wall.Elapsed.TotalSeconds;
            var after = http.GetFromJsonAsync<JsonElement>("/health").GetAwaiter().GetResult();
            var sorted = latencies.Order().ToArray();
            return (sequences.Count / seconds, sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)], failed,
                BatchSizesDuring(before, after));
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
                server.WaitForExit();
            }
        }
    }

    /// <summary>The batches formed between two /health answers, as "size: count" pairs.</summary>
    private static string BatchSizesDuring(JsonElement before, JsonElement after)
    {
        var was = before.GetProperty("batch_sizes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        var parts = after.GetProperty("batch_sizes").EnumerateObject()
            .Select(p => (Size: int.Parse(p.Name, CultureInfo.InvariantCulture), Count: p.Value.GetInt64() - was.GetValueOrDefault(p.Name)))
            .Where(x => x.Count > 0).OrderBy(x => x.Size).Select(x => $"{x.Size}: {x.Count}");
        return string.Join(", ", parts);
    }
}
