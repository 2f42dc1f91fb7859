using System.Diagnostics;
using System.Threading.Channels;
using DnaFoundation.Core;
using DnaFoundation.Data.Reference;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Evaluation.Inference.Serving;

/// <summary>
/// The request-handling core of <c>dnafm serve</c>, free of HTTP: one model in memory, one worker thread that owns
/// the device, and a bounded queue in front of it. Concurrent requests are micro-batched dynamically: the worker takes
/// the first waiting request, keeps taking others until the batch size is reached or <see cref="ServeOptions.MaxWaitMs"/>
/// has passed, runs each kind (predict, embed, score-variants) through the same library code as the CLI commands
/// (<see cref="Predictor"/>, <see cref="Embedder"/>, <see cref="VariantScorer"/>), and answers every request from
/// its share. A full queue is refused at once (503); <see cref="Dispose"/> stops taking requests and finishes the
/// ones already queued.
/// </summary>
public sealed class InferenceService : IDisposable
{
    private readonly DnaModel model;
    private readonly DnaTokenizer tokenizer;
    private readonly DeviceChoice device;
    private readonly Predictor? predictor;
    private readonly string? noPredictor;
    private readonly FastaGenome? genome;
    private readonly Channel<Work> queue;
    private readonly Thread worker;
    private readonly Lock statsGate = new();
    private readonly Dictionary<int, long> batchSizes = [];
    private long requests, batches, sequences;
    private int queued;
    private bool disposed;

    /// <summary>One queued request: its size, the batch it may join (kind and options), and how a batch of such requests runs.</summary>
    private sealed class Work(int size, string kind, object key, object payload, Func<IReadOnlyList<Work>, IReadOnlyList<object>> run)
    {
        public int Size { get; } = size;
        public string Kind { get; } = kind;
        public object Key { get; } = key;
        public object Payload { get; } = payload;
        public Func<IReadOnlyList<Work>, IReadOnlyList<object>> Run { get; } = run;
        public TaskCompletionSource<object> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Joins(Work lead) => Kind == lead.Kind && Equals(Key, lead.Key);
    }

    /// <summary>Loads <paramref name="modelDir"/> (and <paramref name="genomePath"/> for VCF variants) and starts the worker.</summary>
    /// <param name="modelDir">A model directory: fine-tuned (with a classification head) for /predict; any for /embed; an MLM head for LLRs.</param>
    /// <param name="genomePath">The reference FASTA /score-variants reads windows from; null = no variant scoring.</param>
    /// <param name="device">The device and the worker's torch thread count.</param>
    /// <param name="options">Batching and limits.</param>
    public InferenceService(string modelDir, string? genomePath, DeviceChoice device, ServeOptions? options = null)
    {
        Options = options ?? new ServeOptions();
        ConfigLoader.Validate(Options, "serve options", "");
        if (!Directory.Exists(modelDir)) throw new DnaInputException("not a model directory (config.json, model.safetensors, tokenizer)", modelDir);
        this.device = device;
        ModelDirectory = modelDir;
        tokenizer = DnaTokenizers.Load(modelDir);
        (model, _) = Model.Checkpoints.ModelDirectory.Load(modelDir, heads: null, HeadLoading.Strict, device.Device);
        try
        {
            try
            {
                var task = ModelTask.Read(modelDir) ?? ModelTask.FromConfig(model.Config, model.Heads, modelDir);
                predictor = new Predictor(model, tokenizer, task, device.Device, Options.Predict);
            }
            catch (DnaInputException e)
            {
                noPredictor = e.Message;   // an encoder or MLM model: /embed and /score-variants only
            }
            genome = genomePath is null ? null : FastaGenome.Open(genomePath);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        Embedder = new Embedder(model, tokenizer, device.Device, Options.Predict.Inference);
        Scorer = new VariantScorer(model, tokenizer, device.Device, Options.ClassIndex, Options.Predict.Inference);
        queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(Options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        worker = new Thread(Loop) { IsBackground = true, Name = "dnafm-serve-worker" };
        worker.Start();
    }

    /// <summary>The options in effect.</summary>
    public ServeOptions Options { get; }

    /// <summary>The model directory served.</summary>
    public string ModelDirectory { get; }

    /// <summary>The predictor behind /predict, or null when the model has no classification head.</summary>
    public Predictor? Predictor => predictor;

    private Embedder Embedder { get; }

    private VariantScorer Scorer { get; }

    /// <summary>Probabilities and calls for each sequence (as <c>dnafm predict</c> computes them).</summary>
    public Task<PredictResponse> PredictAsync(IReadOnlyList<ServeSequence> sequences)
    {
        if (predictor is null) throw new ServeException(400, $"this model cannot /predict: {noPredictor}");
        var task = predictor.Task;
        return Submit<PredictResponse>(sequences.Count, "predict", "", sequences, jobs =>
        {
            var inputs = jobs.SelectMany(j => (IReadOnlyList<ServeSequence>)j.Payload).Select(s => new PredictionInput(s.Id, s.Sequence)).ToList();
            var all = predictor.Predict(inputs).ToList();
            return Split(jobs, all, part => new PredictResponse(task.TaskName, task.Labels, part.Select(p => new PredictedSequence(
                p.Input.Id, p.Probabilities, p.Predicted.Select(c => task.Labels[c]).ToList(), p.Truncated,
                p.Bases is null ? null : PredictionTable.Runs(p.Bases).Select(r => new PredictedRegion(r.Start, r.End, task.Labels[r.Class], r.Mean)).ToList())).ToList()));
        });
    }

    /// <summary>Pooled embeddings of each sequence at each asked layer (as <c>dnafm embed</c> computes them).</summary>
    public Task<EmbedResponse> EmbedAsync(IReadOnlyList<ServeSequence> sequences, Pooling pooling, int[] layers)
    {
        int n = model.Config.NumHiddenLayers;
        foreach (var l in layers)
            if (l < -(n + 1) || l > n) throw new ServeException(400, $"layer {l} does not exist: the model has hidden states 0..{n} (or −1..−{n + 1} from the end)");
        var options = new EmbedOptions(pooling, layers);
        var key = (pooling, string.Join(',', layers));
        return Submit<EmbedResponse>(sequences.Count, "embed", key, sequences, jobs =>
        {
            var inputs = jobs.SelectMany(j => (IReadOnlyList<ServeSequence>)j.Payload).Select(s => (s.Id, s.Sequence)).ToList();
            var all = Embedder.EmbedAll(inputs, options).ToList();
            return Split(jobs, all, part => new EmbedResponse(pooling.ToString().ToLowerInvariant(),
                part.SelectMany(e => e).Select(e => new EmbeddedSequence(e.Id, e.Layer, e.Length, e.Windows, e.Vector)).ToList()));
        });
    }

    /// <summary>Scores of each variant (as <c>dnafm score-variants</c> computes them); scores default to what the model supports.</summary>
    public Task<VariantResponse> ScoreVariantsAsync(IReadOnlyList<VcfRecord> variants, VariantScores? asked)
    {
        if (genome is null) throw new ServeException(400, "this server was started without a genome: variant scoring needs the reference FASTA (key 'genome')");
        var scores = asked ?? (model.MaskedLmHead is not null ? VariantScores.Llr : VariantScores.None)
            | (IsClassifier ? VariantScores.Classifier : VariantScores.None) | VariantScores.Embedding;
        if (scores.HasFlag(VariantScores.Llr) && model.MaskedLmHead is null) throw new ServeException(400, "score 'llr' needs a masked-LM head, which this model lacks");
        if (scores.HasFlag(VariantScores.Classifier) && !IsClassifier) throw new ServeException(400, "score 'classifier' needs a single-label sequence classifier, which this model is not");
        return Submit<VariantResponse>(variants.Count, "score-variants", scores, variants, jobs =>
        {
            var prep = new VariantPreparer(genome, Options.VariantWindow);
            var all = Scorer.ScoreAll(jobs.SelectMany(j => (IReadOnlyList<VcfRecord>)j.Payload).Select(prep.Prepare).ToList(), scores).Select(s => VariantScoringJob.Row(s)).ToList();
            return Split(jobs, all, part => new VariantResponse(part));
        });
    }

    private bool IsClassifier => model.SequenceHead is not null && predictor?.Task.Task == FineTuneTask.SingleLabel;

    /// <summary>Status, queue length and the micro-batch sizes formed so far.</summary>
    public HealthResponse Health()
    {
        var endpoints = new List<string> { "/health", "/embed" };
        if (predictor is not null) endpoints.Add("/predict");
        if (genome is not null) endpoints.Add("/score-variants");
        lock (statsGate)
            return new HealthResponse(disposed ? "stopping" : "ok", ModelDirectory, predictor?.Task.TaskName, endpoints, Volatile.Read(ref queued),
                requests, batches, sequences, new SortedDictionary<int, long>(batchSizes));
    }

    /// <summary>Cuts the batch's results back into each request's share, in request order.</summary>
    private static IReadOnlyList<object> Split<TItem>(IReadOnlyList<Work> jobs, IReadOnlyList<TItem> all, Func<IReadOnlyList<TItem>, object> make)
    {
        var result = new List<object>(jobs.Count);
        int at = 0;
        foreach (var j in jobs)
        {
            result.Add(make(all.Skip(at).Take(j.Size).ToList()));
            at += j.Size;
        }
        return result;
    }

    private async Task<T> Submit<T>(int size, string kind, object key, object payload, Func<IReadOnlyList<Work>, IReadOnlyList<object>> run)
    {
        var work = new Work(size, kind, key, payload, run);
        if (disposed || !queue.Writer.TryWrite(work))
            throw new ServeException(503, disposed ? "the server is shutting down" : $"the server is busy ({Options.QueueCapacity} requests waiting); retry later");
        Interlocked.Increment(ref queued);
        return (T)await work.Done.Task.ConfigureAwait(false);
    }

    private void Loop()
    {
        device.ApplyToCurrentThread();
        var reader = queue.Reader;
        var held = new List<Work>();
        while (true)
        {
            if (held.Count == 0)
            {
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) return;   // completed and drained
                if (!reader.TryRead(out var first)) continue;
                held.Add(first);
            }
            int size = held.Sum(w => w.Size);
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * Options.MaxWaitMs / 1000;
            while (size < Options.Predict.Inference.BatchSize)
            {
                if (reader.TryRead(out var more)) { held.Add(more); size += more.Size; continue; }
                long left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0) break;
                using var timeout = new CancellationTokenSource(TimeSpan.FromTicks(Math.Max(1, left * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                try { if (!reader.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult()) break; }
                catch (OperationCanceledException) { break; }
            }
            // One batch per kind and options; requests of another kind wait for the next round, first in line.
            var lead = held[0];
            var group = held.Where(w => w.Joins(lead)).ToList();
            held.RemoveAll(group.Contains);
            Interlocked.Add(ref queued, -group.Count);
            Record(group);
            RunGroup(group);
        }
    }

    /// <summary>Runs a batch and answers each request; when a batch fails on one request's input, each runs alone so only that one fails.</summary>
    private static void RunGroup(IReadOnlyList<Work> group)
    {
        try
        {
            var results = group[0].Run(group);
            for (int i = 0; i < group.Count; i++) group[i].Done.TrySetResult(results[i]);
        }
        catch (Exception e) when (group.Count > 1 && e is DnaInputException or ServeException)
        {
            foreach (var w in group) RunGroup([w]);
        }
        catch (Exception e)
        {
            var answer = e is DnaInputException ? new ServeException(400, e.Message) : e;
            foreach (var w in group) w.Done.TrySetException(answer);
        }
    }

    private void Record(IReadOnlyList<Work> group)
    {
        int n = group.Sum(w => w.Size);
        lock (statsGate)
        {
            requests += group.Count;
            batches++;
            sequences += n;
            batchSizes[n] = batchSizes.GetValueOrDefault(n) + 1;
        }
    }

    /// <summary>Stops taking requests, answers the queued ones, stops the worker, frees the model.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        queue.Writer.TryComplete();
        worker.Join();
        genome?.Dispose();
        model.Dispose();
    }
}
