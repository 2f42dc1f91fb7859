using DnaFoundation.Core;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>What an ISM Δ measures.</summary>
public enum IsmScore
{
    /// <summary>Classifier: P(class | mutant) − P(class | reference).</summary>
    Probability,
    /// <summary>
    /// Classifier: Δ log(p / (1 − p)) of the class probability — the Δ of the raw logit for a multi-label (sigmoid)
    /// head, and the Δ of the logit difference z_class − z_other for a two-class softmax head.
    /// </summary>
    LogOdds,
    /// <summary>MLM: log P(alt) − log P(ref) with the position masked, mean of both strands (as score-variants).</summary>
    Llr,
}

/// <summary>One single-base substitution of an ISM scan: 0-based offset in the input, bases, and its Δ (null: undefined).</summary>
public sealed record IsmVariant(int Offset, char Ref, char Alt, double? Delta);

/// <summary>
/// An input's saturation-mutagenesis scan: a Δ for every A/C/G/T position and each of its three other bases (bases
/// other than ACGT, such as N, are not mutated), and the reference score (the class probability or log-odds; null
/// for LLRs, which are relative by construction).
/// </summary>
public sealed record IsmResult(PredictionInput Input, IsmScore Score, double? ReferenceScore, IReadOnlyList<IsmVariant> Variants)
{
    private const string Bases = "ACGT";

    /// <summary>(length × 4) Δ in ACGT columns: NaN at the reference base, at unmutated positions and where undefined.</summary>
    public double[,] Matrix()
    {
        var m = new double[Input.Sequence.Length, 4];
        for (int i = 0; i < m.GetLength(0); i++) for (int b = 0; b < 4; b++) m[i, b] = double.NaN;
        foreach (var v in Variants) m[v.Offset, Bases.IndexOf(v.Alt)] = v.Delta ?? double.NaN;
        return m;
    }

    /// <summary>Per position: −(mean Δ over its alt bases): positive where the reference base supports the score (NaN: not mutated).</summary>
    public double[] Importance()
    {
        var sum = new double[Input.Sequence.Length];
        var n = new int[sum.Length];
        foreach (var v in Variants)
            if (v.Delta is double d)
            {
                sum[v.Offset] += d;
                n[v.Offset]++;
            }
        return sum.Select((s, i) => n[i] == 0 ? double.NaN : -s / n[i]).ToArray();
    }
}

/// <summary>
/// In-silico saturation mutagenesis: every position of an input × its three alternative bases, scored through the
/// batched inference paths that already exist — a fine-tuned classifier's mutants go through <see cref="Predictor"/>
/// (batched by length, the model's task.json max length, optional reverse-complement averaging), an MLM's
/// substitutions through <see cref="VariantScorer.SubstitutionLlrs"/> (score-variants' masked marginal on both
/// strands; one masked pass per position and strand serves its three alts). Inputs are checked before anything runs:
/// one whose tokens would not fit the model is an error naming it.
/// </summary>
public sealed class SaturationMutagenesis
{
    private const string Bases = "ACGT";
    private readonly Predictor? predictor;
    private readonly int classIndex;
    private readonly VariantScorer? scorer;
    private readonly Func<string, string?>? fits;

    /// <summary>A scan of a fine-tuned classifier's <paramref name="classIndex"/> probability (or log-odds).</summary>
    public SaturationMutagenesis(Predictor predictor, int classIndex, IsmScore score)
    {
        if (predictor.Task.Task == FineTuning.FineTuneTask.Token) throw new DnaInputException("ism scores sequence classifiers and MLMs; the model has a per-token head");
        if (score == IsmScore.Llr) throw new ArgumentException("a classifier scan scores probabilities or log-odds", nameof(score));
        if (classIndex < 0 || classIndex >= predictor.Task.Labels.Length)
            throw new DnaInputException($"class {classIndex} is not one of the model's {predictor.Task.Labels.Length} labels ({string.Join(", ", predictor.Task.Labels)})");
        this.predictor = predictor;
        this.classIndex = classIndex;
        Score = score;
        fits = s => predictor.Tokenizer.Encode(s).TokenCount > predictor.Task.MaxLength
            ? $"is {s.Length:N0} bp, more than the model's max length of {predictor.Task.MaxLength} tokens: ISM needs every base in view; cut it into windows (e.g. BED regions)"
            : null;
    }

    /// <summary>A masked-marginal LLR scan with an MLM (<paramref name="model"/> must have its MLM head).</summary>
    public SaturationMutagenesis(DnaModel model, DnaTokenizer tokenizer, TorchSharp.torch.Device device, Model.Inference.InferenceOptions? inference = null)
    {
        if (model.MaskedLmHead is null) throw new DnaInputException("the model has no MLM head: LLR scans need a pretrained (masked-LM) model");
        scorer = new VariantScorer(model, tokenizer, device, inference: inference);
        Score = IsmScore.Llr;
        int? max = model.Config.PositionEmbeddingType == PositionScheme.Absolute ? model.Config.MaxPositionEmbeddings : null;
        fits = s => max is int m && tokenizer.Encode(s).TokenCount > m
            ? $"is {s.Length:N0} bp, more than the model's {m} positions once tokenized: cut it into windows (e.g. BED regions)"
            : null;
    }

    /// <summary>What the Δ measures.</summary>
    public IsmScore Score { get; }

    /// <summary>Every substitution of <paramref name="sequence"/> in position order, alts in ACGT order; non-ACGT bases are skipped.</summary>
    public static IEnumerable<(int Offset, char Ref, char Alt)> Substitutions(string sequence)
    {
        for (int i = 0; i < sequence.Length; i++)
        {
            char r = char.ToUpperInvariant(sequence[i]);
            if (Bases.IndexOf(r) < 0) continue;
            foreach (var a in Bases) if (a != r) yield return (i, r, a);
        }
    }

    /// <summary>Throws (naming the input) when an input cannot be scanned; call before <see cref="Run"/> to fail before any output.</summary>
    public void Check(PredictionInput input)
    {
        if (!Substitutions(input.Sequence).Any()) throw new DnaInputException($"sequence '{input.Id}' has no A/C/G/T base to mutate");
        if (fits!(input.Sequence.ToUpperInvariant()) is string why) throw new DnaInputException($"sequence '{input.Id}' {why}");
    }

    /// <summary>One scan per input, in input order; <paramref name="progress"/> hears once per forward pass (batch).</summary>
    public IEnumerable<IsmResult> Run(IEnumerable<PredictionInput> inputs, CancellationToken cancel = default, IProgress<ProgressInfo>? progress = null)
    {
        var report = progress is null ? null : new InferenceProgress(progress, "ism", Unit: "passes");
        foreach (var input in inputs)
        {
            Check(input);
            yield return predictor is not null ? Classifier(input, report, cancel) : Llr(input, report, cancel);
        }
    }

    private IsmResult Classifier(PredictionInput input, InferenceProgress? progress, CancellationToken cancel)
    {
        var seq = input.Sequence.ToUpperInvariant();
        var subs = Substitutions(seq).ToList();
        var mutants = subs.Select(s => input with { Id = $"{input.Id}:{s.Offset + 1}{s.Alt}", Sequence = string.Concat(seq.AsSpan(0, s.Offset), s.Alt.ToString(), seq.AsSpan(s.Offset + 1)) });
        var scores = predictor!.Predict(mutants.Prepend(input with { Sequence = seq }), progress, cancel).Select(p => Transform(p.Probabilities[classIndex])).ToList();
        double reference = scores[0];
        var variants = subs.Select((s, k) => new IsmVariant(s.Offset, s.Ref, s.Alt, scores[k + 1] - reference)).ToList();
        return new IsmResult(input, Score, reference, variants);
    }

    /// <summary>The probability, or its log-odds (clamped to [1e−7, 1 − 1e−7]: float32 probabilities saturate there).</summary>
    private double Transform(float p)
    {
        if (Score == IsmScore.Probability) return p;
        double q = Math.Clamp((double)p, 1e-7, 1 - 1e-7);
        return Math.Log(q) - Math.Log(1 - q);
    }

    private IsmResult Llr(PredictionInput input, InferenceProgress? progress, CancellationToken cancel)
    {
        var seq = input.Sequence.ToUpperInvariant();
        var subs = Substitutions(seq).ToList();
        var llrs = scorer!.SubstitutionLlrs(subs.Select(s => (seq, s.Offset, s.Alt)), cancel, progress).ToList();
        return new IsmResult(input, Score, null, subs.Select((s, k) => new IsmVariant(s.Offset, s.Ref, s.Alt, llrs[k].Llr)).ToList());
    }
}
