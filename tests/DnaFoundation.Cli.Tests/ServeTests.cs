using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Evaluation.Inference.Serving;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using Microsoft.AspNetCore.Builder;
using static TorchSharp.torch;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// <c>dnafm serve</c> tested with a real HttpClient: in process on a free 127.0.0.1 port for the endpoints, bad
/// requests and micro-batching, and as a child process for SIGTERM (in-flight requests finish, then exit 0). Answers
/// equal the CLI's (predict, run as a command) and the library's (embed, score-variants) for the same inputs.
/// </summary>
public sealed class ServeTests : IDisposable
{
    private readonly TempDir dir = new("serve");

    public void Dispose() => dir.Dispose();

    private static string Random(int n, int seed)
    {
        var rng = new Random(seed);
        return new string(Enumerable.Range(0, n).Select(_ => "ACGT"[rng.Next(4)]).ToArray());
    }

    /// <summary>A fine-tuned single-label model directory, or a pretrained MLM one (random weights suffice here).</summary>
    internal static string ModelDir(TempDir d, ModelHeads heads = ModelHeads.Sequence)
    {
        var tok = DnaTokenizers.Load("kmer:3");
        random.manual_seed(8);
        var config = new EncoderConfig
        {
            VocabSize = tok.VocabSize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64, MaxPositionEmbeddings = 128,
            HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0, NumLabels = 2, PadTokenId = tok.PadId, MaskTokenId = tok.MaskId,
        };
        using var model = ModelFactory.Create(config, heads);
        var path = d.File("model-" + heads);
        ModelDirectory.Save(model, path);
        tok.Save(Path.Combine(path, "vocab.txt"));
        if (heads == ModelHeads.Sequence) new ModelTask { Task = FineTuneTask.SingleLabel, Labels = ["0", "1"], MaxLength = 64 }.Write(path);
        return path;
    }

    private sealed class Server : IAsyncDisposable
    {
        public required InferenceService Service { get; init; }
        public required WebApplication App { get; init; }
        public required HttpClient Client { get; init; }

        public static async Task<Server> Start(string model, string? genome, ServeOptions options)
        {
            var service = new InferenceService(model, genome, DeviceChoice.Parse("cpu", 1), options);
            var app = ServeHost.Build(service, IPAddress.Loopback, 0);
            await app.StartAsync();
            return new Server { Service = service, App = app, Client = new HttpClient { BaseAddress = new Uri(ServeHost.Address(app)), Timeout = TimeSpan.FromMinutes(2) } };
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
            Service.Dispose();
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpClient c, string path, string body, string type = "application/json")
    {
        using var r = await c.PostAsync(path, new StringContent(body, Encoding.UTF8, type));
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Predict_answers_equal_the_predict_command_and_embed_and_variants_equal_the_library()
    {
        var model = ModelDir(dir);
        var seqs = Enumerable.Range(0, 12).Select(i => Random(20 + 9 * i, i)).ToList();
        File.WriteAllLines(dir.File("in.csv"), ["sequence", .. seqs]);
        var cli = CliRunner.Run("predict", "--model", model, "--input", dir.File("in.csv"), "--output", dir.File("p.tsv"), "--threads", "1");
        Assert.True(cli.ExitCode == 0, cli.StdErr);
        var expected = File.ReadLines(dir.File("p.tsv")).Skip(1).Select(l => l.Split('\t')).ToList();

        var contig = Random(400, 99);
        File.WriteAllText(dir.File("g.fa"), ">20\n" + contig + "\n");
        await using var server = await Server.Start(model, dir.File("g.fa"), new ServeOptions());
        var c = server.Client;

        var (status, body) = await Post(c, "/predict", JsonSerializer.Serialize(new { sequences = seqs }));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["0", "1"], body.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(seqs.Count, predictions.Count);
        for (int i = 0; i < seqs.Count; i++)
        {
            var probs = predictions[i].GetProperty("probabilities").EnumerateArray().Select(e => e.GetDouble()).ToList();
            for (int k = 0; k < 2; k++) Assert.Equal(double.Parse(expected[i][k + 1], CultureInfo.InvariantCulture), probs[k], 6);
            Assert.Equal(expected[i][3], predictions[i].GetProperty("predicted")[0].GetString());
        }

        (status, body) = await Post(c, "/embed", JsonSerializer.Serialize(new { sequences = seqs.Take(3).Select((s, i) => new { id = $"e{i}", sequence = s }), pooling = "max", layers = new[] { 0, -1 } }));
        Assert.Equal(HttpStatusCode.OK, status);
        var (m, tok) = ModelSource.LoadEncoder(model, null, CPU);
        using (m)
        {
            var library = new Embedder(m, tok, CPU).EmbedAll(seqs.Take(3).Select((s, i) => ($"e{i}", s)), new EmbedOptions(Pooling.Max, [0, -1])).SelectMany(x => x).ToList();
            var served = body.GetProperty("embeddings").EnumerateArray().ToList();
            Assert.Equal(library.Count, served.Count);
            for (int i = 0; i < library.Count; i++)
            {
                Assert.Equal(library[i].Id, served[i].GetProperty("id").GetString());
                Assert.Equal(library[i].Layer, served[i].GetProperty("layer").GetInt32());
                var v = served[i].GetProperty("vector").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                for (int k = 0; k < v.Length; k++) Assert.Equal(library[i].Vector[k], v[k], 5);
            }
        }

        var vcf = $"20\t50\tv1\t{contig[49]}\t{(contig[49] == 'A' ? 'C' : 'A')}\n20\t51\tv2\tN\tA\n20\t200\tv3\t{contig[199]}\t{contig[199]}TT\n";
        File.WriteAllText(dir.File("v.vcf"), vcf);
        var json = JsonSerializer.Serialize(new
        {
            variants = new object[]
            {
                new { chrom = "20", pos = 50, id = "v1", @ref = contig[49].ToString(), alt = (contig[49] == 'A' ? 'C' : 'A').ToString() },
                new { chrom = "20", pos = 51, id = "v2", @ref = "N", alt = "A" },
                new { chrom = "20", pos = 200, id = "v3", @ref = contig[199].ToString(), alt = contig[199] + "TT" },
            },
        });
        // the fine-tuned classifier: classifier delta and embedding distance (its default scores)
        await SameVariants(c, model, VariantScores.Classifier | VariantScores.Embedding, vcf, json);
        // a pretrained MLM model: the LLR too; it has no head to /predict with
        var mlm = ModelDir(dir, ModelHeads.MaskedLm);
        await using (var mlmServer = await Server.Start(mlm, dir.File("g.fa"), new ServeOptions()))
        {
            await SameVariants(mlmServer.Client, mlm, VariantScores.Llr | VariantScores.Embedding, vcf, json);
            var (st, b) = await Post(mlmServer.Client, "/predict", "{\"sequences\": [\"ACGT\"]}");
            Assert.Equal(HttpStatusCode.BadRequest, st);
            Assert.Contains("cannot /predict", b.GetProperty("error").GetString());
        }

        using var health = await c.GetAsync("/health");
        var h = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ok", h.GetProperty("status").GetString());
        Assert.Equal(4, h.GetProperty("requests").GetInt64());
    }

    /// <summary>/score-variants, as VCF text and as JSON, equals what <c>dnafm score-variants</c>'s library entry writes.</summary>
    private async Task SameVariants(HttpClient c, string model, VariantScores scores, string vcf, string json)
    {
        var (rows, _) = new VariantScoringJob(CPU).Run(new VariantScoringRequest(model, null, dir.File("v.vcf"), dir.File("g.fa"), dir.File("v.tsv"),
            VariantWindow.DefaultWidth, scores, 1, new Dictionary<string, int>()));
        foreach (var (st, b) in new[] { await Post(c, "/score-variants", vcf, "text/plain"), await Post(c, "/score-variants", json) })
        {
            Assert.Equal(HttpStatusCode.OK, st);
            var served = b.GetProperty("variants").EnumerateArray().ToList();
            Assert.Equal(rows.Count, served.Count);
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.Equal(rows[i].Status, served[i].GetProperty("status").GetString());
                foreach (var (name, value) in new[] { ("llr", rows[i].Llr), ("classifier_delta", rows[i].ClassifierDelta), ("embedding_distance", rows[i].EmbeddingDistance) })
                {
                    Assert.Equal(value is null, !served[i].TryGetProperty(name, out var got));
                    if (value is double x) Assert.Equal(x, got.GetDouble(), 6);
                }
            }
            Assert.Contains(rows, r => (scores.HasFlag(VariantScores.Llr) ? r.Llr : r.ClassifierDelta) is not null);
        }
    }

    [Fact]
    public async Task Bad_requests_get_400_or_413_with_a_message_and_never_500()
    {
        var model = ModelDir(dir, ModelHeads.Sequence);
        await using var server = await Server.Start(model, null, new ServeOptions { MaxRequestBytes = 4096, MaxSequencesPerRequest = 4, MaxSequenceBases = 300 });
        var c = server.Client;
        var cases = new (string Path, string Body, string Type, HttpStatusCode Status, string Message)[]
        {
            ("/predict", "{\"sequences\": [", "application/json", HttpStatusCode.BadRequest, "malformed JSON"),
            ("/predict", "[1, 2]", "application/json", HttpStatusCode.BadRequest, "must be a JSON object"),
            ("/predict", "{\"seqs\": []}", "application/json", HttpStatusCode.BadRequest, "expected \"sequences\""),
            ("/predict", "{\"sequences\": [\"ACGTXACGT\"]}", "application/json", HttpStatusCode.BadRequest, "holds 'X' at position 5"),
            ("/predict", "{\"sequences\": [\"\"]}", "application/json", HttpStatusCode.BadRequest, "is empty"),
            ("/predict", "{\"sequences\": [42]}", "application/json", HttpStatusCode.BadRequest, "expected a string"),
            ("/predict", "{\"sequences\": [\"A\",\"C\",\"G\",\"T\",\"A\"]}", "application/json", HttpStatusCode.RequestEntityTooLarge, "5 sequences in one request; the limit is 4"),
            ("/predict", JsonSerializer.Serialize(new { sequences = new[] { new string('A', 301) } }), "application/json", HttpStatusCode.RequestEntityTooLarge, "the limit is 300"),
            ("/predict", JsonSerializer.Serialize(new { sequences = new[] { new string('A', 5000) } }), "application/json", HttpStatusCode.RequestEntityTooLarge, "larger than 4,096 bytes"),
            ("/embed", "{\"sequences\": [\"ACGT\"], \"pooling\": \"median\"}", "application/json", HttpStatusCode.BadRequest, "use mean, max or cls"),
            ("/embed", "{\"sequences\": [\"ACGT\"], \"layers\": [9]}", "application/json", HttpStatusCode.BadRequest, "layer 9 does not exist"),
            ("/score-variants", "20\t5\tx\tA\tC\n", "text/plain", HttpStatusCode.BadRequest, "started without a genome"),
        };
        foreach (var (path, body, type, status, message) in cases)
        {
            var (got, json) = await Post(c, path, body, type);
            Assert.True(got == status, $"{path} {body[..Math.Min(body.Length, 60)]}: {got} {json}");
            Assert.Contains(message, json.GetProperty("error").GetString());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await c.GetAsync("/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await c.GetAsync("/predict")).StatusCode);
        // and the server still answers
        Assert.Equal(HttpStatusCode.OK, (await Post(c, "/predict", "{\"sequences\": [\"ACGTACGT\"]}")).Status);
    }

    [Fact]
    public async Task Concurrent_requests_are_micro_batched_and_each_gets_its_own_answer()
    {
        var model = ModelDir(dir, ModelHeads.Sequence);
        await using var server = await Server.Start(model, null, new ServeOptions { MaxWaitMs = 300 });
        var seqs = Enumerable.Range(0, 16).Select(i => Random(15 + 5 * i, 50 + i)).ToList();
        var alone = new List<JsonElement>();
        using (var predictor = Predictor.Load(model, CPU))
        {
            var expected = predictor.Predict(seqs.Select((s, i) => new PredictionInput($"r{i}", s))).ToList();
            var answers = await Task.WhenAll(seqs.Select((s, i) => Post(server.Client, "/predict", JsonSerializer.Serialize(new { sequences = new[] { new { id = $"r{i}", sequence = s } } }))));
            for (int i = 0; i < seqs.Count; i++)
            {
                Assert.Equal(HttpStatusCode.OK, answers[i].Status);
                var p = answers[i].Body.GetProperty("predictions")[0];
                Assert.Equal($"r{i}", p.GetProperty("id").GetString());
                var probs = p.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                for (int k = 0; k < 2; k++) Assert.Equal(expected[i].Probabilities[k], probs[k], 5);
            }
        }
        var health = server.Service.Health();
        Assert.Equal(16, health.Requests);
        Assert.True(health.Batches < 16, $"{health.Batches} batches for 16 concurrent requests: no micro-batching");
        Assert.Equal(16, health.BatchSizes.Sum(kv => kv.Key * kv.Value));
    }

    [Fact]
    public async Task SIGTERM_lets_in_flight_requests_finish_then_the_server_exits_0()
    {
        var model = ModelDir(dir, ModelHeads.Sequence);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "dnafm.dll"), "serve", "--model", model, "--port", "0", "--threads", "1", "--max-wait-ms", "3000" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(line is not null && line.StartsWith("listening on http://127.0.0.1:", StringComparison.Ordinal), $"{line} {(p.HasExited ? await stderr : "")}");
            var url = line!.Split(' ')[2];
            using var c = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(1) };
            // The request waits in the micro-batcher for up to 3 s: SIGTERM arrives while it is in flight.
            var inFlight = c.PostAsync("/predict", new StringContent("{\"sequences\": [\"ACGTACGTAAGG\"]}", Encoding.UTF8, "application/json"));
            await Task.Delay(500);
            Assert.False(inFlight.IsCompleted);
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            using var answer = await inFlight;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Single((await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("predictions").EnumerateArray());
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "the server did not exit after SIGTERM");
            Assert.True(p.ExitCode == 0, await stderr);
            Assert.Contains("stopping: finishing in-flight requests", await stderr);
            await Assert.ThrowsAsync<HttpRequestException>(() => c.GetAsync("/health"));   // nothing listens any more
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }
}
