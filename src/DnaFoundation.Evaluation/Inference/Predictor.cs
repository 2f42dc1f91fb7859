using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>How <see cref="Predictor"/> runs; every default is defined here once.</summary>
public sealed record PredictOptions : IValidatableConfig
{
    /// <summary>Batching (key <c>inference</c>).</summary>
    public InferenceOptions Inference { get; init; } = InferenceOptions.Default;

    /// <summary>Average the forward and reverse-complement predictions (key <c>rc_average</c>).</summary>
    public bool RcAverage { get; init; }

    /// <summary>A multi-label label (or, for token heads, nothing else) is called positive at this probability (key <c>threshold</c>).</summary>
    [Range(0.0, 1.0)] public double Threshold { get; init; } = 0.5;

    /// <summary>Tokens per input; null = what the model was fine-tuned with (its <c>task.json</c>) (key <c>max_length</c>).</summary>
    [Range(3, 1 << 20)] public int? MaxLength { get; init; }

    /// <inheritdoc />
    public IEnumerable<string> Validate() => Inference.Validate();
}

/// <summary>
/// A token head's output for one input, per base of the input (forward strand, input-relative): the class
/// probabilities of the token(s) covering the base (the mean over the tokens that cover it: k for overlapping k-mers,
/// and both strands with RC averaging), row-major (bases × classes). <see cref="Covered"/> is false for bases no
/// token reached (cut by the max length).
/// </summary>
public sealed record BaseProbabilities(int Classes, float[] Values, bool[] Covered)
{
    /// <summary>Bases of the input.</summary>
    public int Length => Covered.Length;
}

/// <summary>
/// One input's prediction. Sequence heads: <see cref="Probabilities"/> per class (softmax) or label (sigmoid),
/// <see cref="Predicted"/> the classes called (single-label: the most probable class; multi-label: every label at or
/// over the threshold). Token heads: <see cref="Bases"/>, with <see cref="Probabilities"/> the mean over covered bases.
/// <see cref="Truncated"/>: the input was longer than the max length and only its first bases were seen.
/// </summary>
public sealed record Prediction(PredictionInput Input, float[] Probabilities, int[] Predicted, BaseProbabilities? Bases, bool Truncated);

/// <summary>
/// Applies a fine-tuned model (any head <c>dnafm finetune</c> trains: single-label, multi-label, per-token) to
/// sequences through the shared <see cref="InferenceRunner"/>: inputs are tokenized as fine-tuning tokenized them
/// (same max length), batched by length, reduced on the device (softmax or sigmoid, top-1), and returned in input
/// order, streaming. With <see cref="PredictOptions.RcAverage"/> each input also runs reverse-complemented and the two
/// are averaged (per base for token heads, through the tokenizer's forward-strand offsets).
/// </summary>
public sealed class Predictor : IDisposable
{
    private readonly DnaModel model;
    private readonly DnaTokenizer tokenizer;
    private readonly InferenceRunner runner;
    private readonly EncodeOptions forward, reverse;
    private readonly bool ownsModel;

    /// <summary>A predictor over a model already in memory.</summary>
    public Predictor(DnaModel model, DnaTokenizer tokenizer, ModelTask task, Device device, PredictOptions? options = null)
        : this(model, tokenizer, task, device, options, ownsModel: false)
    {
    }

    private Predictor(DnaModel model, DnaTokenizer tokenizer, ModelTask task, Device device, PredictOptions? options, bool ownsModel)
    {
        Options = options ?? new PredictOptions();
        ConfigLoader.Validate(Options, "predict options", "");
        int heads = task.Task == FineTuneTask.Token ? model.TokenHead is null ? 0 : 1 : model.SequenceHead is null ? 0 : 1;
        if (heads == 0) throw new DnaInputException($"the model has no {(task.Task == FineTuneTask.Token ? "token" : "sequence")} classification head for its task '{task.Task}'");
        this.model = model;
        this.tokenizer = tokenizer;
        this.ownsModel = ownsModel;
        Task = task with { MaxLength = Options.MaxLength ?? task.MaxLength };
        runner = new InferenceRunner(model, device, Options.Inference);
        forward = new EncodeOptions { MaxLength = Task.MaxLength };
        reverse = forward with { ReverseComplement = true };
    }

    /// <summary>
    /// Loads a fine-tuned model directory (weights with their head, tokenizer, <c>task.json</c> or a config that
    /// names the task) onto <paramref name="device"/>.
    /// </summary>
    public static Predictor Load(string modelDir, Device device, PredictOptions? options = null, string? tokenizerSpec = null)
    {
        if (!Directory.Exists(modelDir)) throw new DnaInputException("not a model directory (config.json, model.safetensors, tokenizer)", modelDir);
        var tokenizer = DnaTokenizers.Load(tokenizerSpec ?? modelDir);
        var (model, _) = ModelDirectory.Load(modelDir, heads: null, HeadLoading.Strict, device);
        try
        {
            var task = ModelTask.Read(modelDir) ?? ModelTask.FromConfig(model.Config, model.Heads, modelDir);
            int width = task.Task == FineTuneTask.Token ? model.Config.NumRegionLabels ?? model.Config.LabelCount : model.Config.LabelCount;
            if (task.Labels.Length != width && model.Heads != ModelHeads.MultiTask)
                throw new DnaInputException($"{ModelTask.FileName} names {task.Labels.Length} labels but the head has {width}", modelDir);
            return new Predictor(model, tokenizer, task, device, options, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The task, labels and max length in effect.</summary>
    public ModelTask Task { get; }

    /// <summary>The options in effect.</summary>
    public PredictOptions Options { get; }

    /// <summary>The model's tokenizer.</summary>
    public DnaTokenizer Tokenizer => tokenizer;

    /// <summary>One item the runner sees: an input on one strand.</summary>
    private sealed record Pass(PredictionInput Input, DnaEncoding Encoding, bool Reverse);

    /// <summary>What a pass gives: class probabilities and top-1 (sequence heads) or per-token probabilities (token heads).</summary>
    private sealed record PassResult(Pass Pass, float[] Probabilities, int Top, float[]? TokenProbabilities);

    /// <summary>Predictions for every input, in input order (streaming).</summary>
    public IEnumerable<Prediction> Predict(IEnumerable<PredictionInput> inputs, InferenceProgress? progress = null, CancellationToken cancel = default)
    {
        var passes = inputs.SelectMany(Passes);
        // Only the head this task reads: a classifier that kept its MLM head must not pay for vocabulary logits per token.
        var head = Task.Task == FineTuneTask.Token ? ModelHeads.Token : ModelHeads.Sequence;
        var results = runner.Run(passes, p => new TokenSequence(p.Encoding.Ids[..p.Encoding.TokenCount]), Read, progress: progress, cancel: cancel, heads: head);
        PassResult? pending = null;
        foreach (var r in results)
        {
            if (!Options.RcAverage)
            {
                yield return Combine(r, null);
                continue;
            }
            if (pending is null)
            {
                pending = r;
                continue;
            }
            yield return Combine(pending, r);
            pending = null;
        }
    }

    private IEnumerable<Pass> Passes(PredictionInput input)
    {
        if (input.Sequence.Length == 0) throw new DnaInputException($"sequence '{input.Id}' is empty");
        var options = forward with { SequenceName = input.Id };
        yield return new Pass(input, tokenizer.Encode(input.Sequence, options), false);
        if (Options.RcAverage) yield return new Pass(input, tokenizer.Encode(input.Sequence, reverse with { SequenceName = input.Id }), true);
    }

    private IReadOnlyList<PassResult> Read(InferenceBatch<Pass> b)
    {
        if (Task.Task == FineTuneTask.Token)
        {
            var probs = Readouts.Rows(b.Output.TokenLogits!.to(ScalarType.Float32).softmax(-1), b.Tokens.Lengths);
            return b.Items.Select((p, i) => new PassResult(p, [], -1, probs[i])).ToList();
        }
        var scores = Readouts.Probabilities(b.Output.SequenceLogits!, Task.Task == FineTuneTask.MultiLabel);
        var top = Readouts.TopK(scores, 1);
        var rows = Readouts.Rows(scores);
        return b.Items.Select((p, i) => new PassResult(p, rows[i], top[i][0], null)).ToList();
    }

    private Prediction Combine(PassResult fwd, PassResult? rev)
    {
        var input = fwd.Pass.Input;
        bool truncated = fwd.Pass.Encoding.BasesConsumed < input.Sequence.Length;
        if (Task.Task == FineTuneTask.Token)
        {
            var bases = PerBase(input.Sequence.Length, [fwd, .. rev is null ? Array.Empty<PassResult>() : [rev]]);
            int c = bases.Classes;
            var mean = new double[c];
            int covered = 0;
            for (int p = 0; p < bases.Length; p++)
            {
                if (!bases.Covered[p]) continue;
                covered++;
                for (int k = 0; k < c; k++) mean[k] += bases.Values[p * c + k];
            }
            var probabilities = mean.Select(x => (float)(x / Math.Max(covered, 1))).ToArray();
            return new Prediction(input, probabilities, [ArgMax(probabilities)], bases, truncated);
        }
        var probs = fwd.Probabilities;
        int top = fwd.Top;
        if (rev is not null)
        {
            probs = probs.Select((x, k) => (x + rev.Probabilities[k]) / 2).ToArray();
            top = ArgMax(probs);
        }
        int[] predicted = Task.Task == FineTuneTask.MultiLabel
            ? Enumerable.Range(0, probs.Length).Where(k => probs[k] >= Options.Threshold).ToArray()
            : [top];
        return new Prediction(input, probs, predicted, null, truncated);
    }

    /// <summary>Per-base class probabilities: each base takes the mean of the (non-special) tokens covering it, over the passes given.</summary>
    private BaseProbabilities PerBase(int length, IReadOnlyList<PassResult> passes)
    {
        int c = Task.Labels.Length;
        var sum = new float[length * c];
        var count = new int[length];
        foreach (var r in passes)
        {
            var enc = r.Pass.Encoding;
            for (int t = 0; t < enc.TokenCount; t++)
            {
                if (tokenizer.IsSpecial(enc.Ids[t])) continue;
                var span = enc.Offsets[t];
                for (int p = span.Start; p < span.End; p++)
                {
                    count[p]++;
                    for (int k = 0; k < c; k++) sum[p * c + k] += r.TokenProbabilities![t * c + k];
                }
            }
        }
        var covered = new bool[length];
        for (int p = 0; p < length; p++)
        {
            if (count[p] == 0) continue;
            covered[p] = true;
            for (int k = 0; k < c; k++) sum[p * c + k] /= count[p];
        }
        return new BaseProbabilities(c, sum, covered);
    }

    private static int ArgMax(float[] v)
    {
        int best = 0;
        for (int k = 1; k < v.Length; k++) if (v[k] > v[best]) best = k;
        return best;
    }

    /// <summary>Frees the model when this predictor loaded it.</summary>
    public void Dispose()
    {
        if (ownsModel) model.Dispose();
    }
}
