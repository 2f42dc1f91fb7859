using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Variants;

/// <summary>Which scores to compute; each needs the matching head (MLM, sequence classifier) or none (embedding).</summary>
[Flags]
public enum VariantScores { None = 0, Llr = 1, Classifier = 2, Embedding = 4 }

/// <summary>One output row: the variant, its status, and every score asked for (null where not defined).</summary>
public sealed record VariantScore(PreparedVariant Variant, string Status, double? Llr, double? LlrForward, double? LlrReverse, double? ClassifierDelta, double? EmbeddingDistance, string? LlrMethod = null);

/// <summary>How an LLR was read off the masked prediction (the <c>llr_method</c> column).</summary>
public static class LlrMethods
{
    /// <summary>The reference token against the same token with the alt base substituted (k-mers, single bases: it always exists).</summary>
    public const string Token = "token";
    /// <summary>BPE: the covering token masked; base probabilities summed over same-length tokens (<see cref="NucleotideMarginal"/>).</summary>
    public const string NucleotideMarginal = "nucleotide_marginal";
    /// <summary>BPE fallback: the variant base encoded as its own single-base token between separately encoded flanks, masked.</summary>
    public const string SingleBase = "single_base";
}

/// <summary>
/// Scores variants on a window centred on each one (N-padded at contig ends), every score averaged over the
/// forward and reverse-complement strands as GPN does:
/// (a) LLR = log P(alt) − log P(ref) with the variant masked (GPN's masked marginal). Single-nucleotide and k-mer
///     tokenizers (<see cref="LlrMethods.Token"/>): the tokens covering the variant are masked together (one, or k
///     for overlapping k-mers); for each, the token with the alt base substituted is scored against the reference
///     token, and their mean is the LLR. BPE (<see cref="LlrMethods.NucleotideMarginal"/>): the one token covering
///     the variant is masked and P(base) at the variant's place in it is summed over the vocabulary's tokens of the
///     same length (<see cref="NucleotideMarginal"/>); where no token of that length has the alt base there (long
///     repeat tokens) or the covering token is [UNK], the fallback <see cref="LlrMethods.SingleBase"/> encodes the
///     flanks separately around the variant base as a single-base token and reads the four base tokens.
///     Defined for SNVs only: indels and MNVs get status indel_unsupported / mnv_unsupported for this score.
/// (b) classifier delta = P(class | alt window) − P(class | ref window) of a fine-tuned sequence classifier;
/// (c) embedding distance = 1 − cosine(mean-pooled last hidden state of ref window, of alt window).
/// For (b) and (c) an indel's alt window is the reference window edited at the variant and re-cut to the same
/// width (<see cref="VariantWindow.WithAllele"/>).
/// Batched: <see cref="ScoreAll"/> turns a chunk of variants into forward passes of three kinds (masked
/// log-probabilities at chosen positions, class probabilities, mean-pooled embeddings) and runs each kind through the
/// shared <see cref="InferenceRunner"/>, so every number comes off the device in one copy per batch.
/// </summary>
public sealed class VariantScorer
{
    /// <summary>Variants planned together: their forward passes are batched across the chunk.</summary>
    private const int ChunkSize = 512;

    private readonly DnaTokenizer tokenizer;
    private readonly int classIndex;
    private readonly InferenceRunner runner;
    private readonly NucleotideMarginal? marginal;

    /// <summary>A scorer over one model; every scoring call batches its forward passes through one runner.</summary>
    /// <param name="model">The model: an MLM head for LLRs, a sequence classifier for classifier deltas.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="device">Where the model's weights are.</param>
    /// <param name="classIndex">The class whose probability change the classifier delta reports.</param>
    /// <param name="inference">How forward passes are batched.</param>
    public VariantScorer(DnaModel model, DnaTokenizer tokenizer, Device device, int classIndex = 1, InferenceOptions? inference = null)
    {
        this.tokenizer = tokenizer;
        this.classIndex = classIndex;
        runner = new InferenceRunner(model, device, inference);
        marginal = tokenizer is DnaBpeTokenizer ? new NucleotideMarginal(tokenizer.Vocabulary) : null;
    }

    /// <summary>A masked forward pass and how its log-probabilities at <see cref="Positions"/> become one strand's LLR.</summary>
    private sealed record MaskedQuery(int[] Ids, int[] Positions, Func<float[][], double?> Llr, string Method);

    /// <summary>One strand's LLR, as planned (a query to run) or already decided (no forward pass needed).</summary>
    private sealed class StrandPlan
    {
        public MaskedQuery? Query;
        public double? Llr;
        public string Method = LlrMethods.Token;
        /// <summary>BPE: where a marginal LLR that comes out undefined falls back to (the single-base query).</summary>
        public Func<MaskedQuery>? Fallback;
    }

    /// <summary>One variant's score.</summary>
    public VariantScore Score(PreparedVariant v, VariantScores wanted) => ScoreAll([v], wanted).Single();

    /// <summary>Every variant's score, in input order; variants are planned and batched a chunk at a time.</summary>
    public IEnumerable<VariantScore> ScoreAll(IEnumerable<PreparedVariant> variants, VariantScores wanted, CancellationToken cancel = default) =>
        variants.Chunk(ChunkSize).SelectMany(chunk => ScoreChunk(chunk, wanted, cancel));

    private VariantScore[] ScoreChunk(PreparedVariant[] chunk, VariantScores wanted, CancellationToken cancel)
    {
        var ok = chunk.Where(v => v.Status == VariantStatus.Ok).ToList();
        // LLR: two strands per SNV, planned, then the masked passes of the whole chunk at once (and BPE fallbacks after).
        var llrPlans = new Dictionary<PreparedVariant, (StrandPlan Fwd, StrandPlan Rev)>(ReferenceEqualityComparer.Instance);
        if (wanted.HasFlag(VariantScores.Llr))
        {
            foreach (var v in ok.Where(v => v.Record.IsSnv))
            {
                var w = v.Window!;
                var rc = DnaAlphabet.ReverseComplement(w.Bases);
                llrPlans[v] = (Plan(w.Bases, w.VariantOffset, v.Record.Alt[0]),
                    Plan(rc, w.Bases.Length - 1 - w.VariantOffset, DnaAlphabet.ReverseComplement(v.Record.Alt)[0]));
            }
            var plans = llrPlans.Values.SelectMany(p => new[] { p.Fwd, p.Rev }).ToList();
            Resolve(plans, cancel);
            var fallbacks = plans.Where(p => p.Llr is null && p.Fallback is not null).ToList();
            foreach (var p in fallbacks)
            {
                p.Query = p.Fallback!();
                p.Method = p.Query.Method;
            }
            Resolve(fallbacks, cancel);
        }
        // Classifier and embedding: ref and alt windows on both strands.
        var windows = new Dictionary<PreparedVariant, string[]>(ReferenceEqualityComparer.Instance);
        if (wanted.HasFlag(VariantScores.Classifier) || wanted.HasFlag(VariantScores.Embedding))
            foreach (var v in ok)
            {
                var w = v.Window!;
                var alt = w.WithAllele(v.Record.Ref, v.Record.Alt);
                windows[v] = [w.Bases, alt, DnaAlphabet.ReverseComplement(w.Bases), DnaAlphabet.ReverseComplement(alt)];
            }
        var all = windows.Values.SelectMany(x => x).ToList();
        var probs = wanted.HasFlag(VariantScores.Classifier) ? Probabilities(all, cancel) : null;
        var vectors = wanted.HasFlag(VariantScores.Embedding) ? MeanEmbeddings(all, cancel) : null;

        var result = new VariantScore[chunk.Length];
        int at = 0;
        for (int i = 0; i < chunk.Length; i++)
        {
            var v = chunk[i];
            if (v.Status != VariantStatus.Ok)
            {
                result[i] = new VariantScore(v, v.Status, null, null, null, null, null);
                continue;
            }
            var r = v.Record;
            string status = VariantStatus.Ok;
            double? llr = null, fwd = null, rev = null, cls = null, emb = null;
            string? method = null;
            if (wanted.HasFlag(VariantScores.Llr))
            {
                if (llrPlans.TryGetValue(v, out var p))
                {
                    (fwd, rev) = (p.Fwd.Llr, p.Rev.Llr);
                    llr = fwd is double f && rev is double b ? (f + b) / 2 : null;
                    method = p.Fwd.Method == p.Rev.Method ? p.Fwd.Method : p.Fwd.Method + "/" + p.Rev.Method; // forward/reverse when the strands needed different methods
                    if (llr is null) status = VariantStatus.TokenNotInVocabulary;
                }
                else status = r.IsIndel ? VariantStatus.IndelUnsupported : VariantStatus.MnvUnsupported;
            }
            if (windows.ContainsKey(v))
            {
                if (probs is not null) cls = ((probs[at + 1] - probs[at]) + (probs[at + 3] - probs[at + 2])) / 2;
                if (vectors is not null)
                    emb = ((1 - DnaFoundation.Evaluation.Embeddings.Similarity.Cosine(vectors[at], vectors[at + 1])) + (1 - DnaFoundation.Evaluation.Embeddings.Similarity.Cosine(vectors[at + 2], vectors[at + 3]))) / 2;
                at += 4;
            }
            // An indel with only the LLR asked for has no score at all; with other scores it is scored by them.
            if (status != VariantStatus.Ok && (cls is not null || emb is not null) && status != VariantStatus.TokenNotInVocabulary)
                status = VariantStatus.Ok + ";" + status;
            result[i] = new VariantScore(v, status, llr, fwd, rev, cls, emb, method);
        }
        return result;
    }

    /// <summary>One strand's LLR and the method that gave it (null LLR: not defined for this vocabulary).</summary>
    internal (double? Llr, string Method) StrandLlr(string window, int offset, char alt)
    {
        var plan = Plan(window, offset, alt);
        Resolve([plan], default);
        if (plan.Llr is null && plan.Fallback is not null)
        {
            plan.Query = plan.Fallback();
            plan.Method = plan.Query.Method;
            Resolve([plan], default);
        }
        return (plan.Llr, plan.Method);
    }

    /// <summary>
    /// Masked-marginal LLRs of single-base substitutions in whole sequences (no window is cut: the sequence is the
    /// window), each on both strands exactly as <see cref="ScoreAll"/> scores an SNV: in input order, the mean of the
    /// forward and reverse-complement strand LLRs (null when either is undefined) and the method. Substitutions of
    /// one position share their masked passes (the mask does not depend on the alt base), so saturation mutagenesis
    /// costs two passes per position, not six.
    /// </summary>
    public IEnumerable<(double? Llr, double? Forward, double? Reverse, string Method)> SubstitutionLlrs(
        IEnumerable<(string Sequence, int Offset, char Alt)> substitutions, CancellationToken cancel = default, InferenceProgress? progress = null)
    {
        foreach (var chunk in substitutions.Chunk(ChunkSize * 3))
        {
            var plans = chunk.Select(s =>
            {
                var rc = DnaAlphabet.ReverseComplement(s.Sequence);
                return (Fwd: Plan(s.Sequence, s.Offset, s.Alt), Rev: Plan(rc, s.Sequence.Length - 1 - s.Offset, DnaAlphabet.ReverseComplement(s.Alt.ToString())[0]));
            }).ToList();
            var all = plans.SelectMany(p => new[] { p.Fwd, p.Rev }).ToList();
            Resolve(all, cancel, progress);
            var fallbacks = all.Where(p => p.Llr is null && p.Fallback is not null).ToList();
            foreach (var p in fallbacks)
            {
                p.Query = p.Fallback!();
                p.Method = p.Query.Method;
            }
            Resolve(fallbacks, cancel, progress);
            foreach (var (f, r) in plans)
                yield return (f.Llr is double a && r.Llr is double b ? (a + b) / 2 : null, f.Llr, r.Llr,
                    f.Method == r.Method ? f.Method : f.Method + "/" + r.Method);
        }
    }

    /// <summary>Runs the plans' queries (batched; identical masked inputs run once) and sets their LLRs.</summary>
    private void Resolve(IReadOnlyList<StrandPlan> plans, CancellationToken cancel, InferenceProgress? progress = null)
    {
        var pending = plans.Where(p => p.Query is not null).ToList();
        // The same masked tokens (another alt base at the same place, a multi-allelic site) give the same log-probabilities.
        var firstOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var unique = new List<StrandPlan>();
        var source = new int[pending.Count];
        for (int i = 0; i < pending.Count; i++)
        {
            var q = pending[i].Query!;
            var key = string.Join(',', q.Ids) + "|" + string.Join(',', q.Positions);
            if (!firstOf.TryGetValue(key, out var u))
            {
                u = unique.Count;
                firstOf[key] = u;
                unique.Add(pending[i]);
            }
            source[i] = u;
        }
        var rows = runner.Run(unique, p => new TokenSequence(p.Query!.Ids), b =>
        {
            var rowOf = b.Items.SelectMany((p, i) => p.Query!.Positions.Select(_ => i)).ToArray();
            var positions = b.Items.SelectMany(p => p.Query!.Positions).ToArray();
            var logp = Readouts.LogProbabilitiesAt(b.Output.MlmLogits!, rowOf, positions);
            int k = 0;
            return b.Items.Select(p => { var mine = logp[k..(k + p.Query!.Positions.Length)]; k += mine.Length; return mine; }).ToList();
        }, progress: progress, cancel: cancel, heads: ModelHeads.MaskedLm).ToList();
        for (int i = 0; i < pending.Count; i++) pending[i].Llr = pending[i].Query!.Llr(rows[source[i]]);
        foreach (var p in pending) p.Query = null;
    }

    /// <summary>How one strand's LLR is read: k-mer/char token LLR, or the BPE marginal with its single-base fallback.</summary>
    private StrandPlan Plan(string window, int offset, char alt)
    {
        if (marginal is null) return new StrandPlan { Query = TokenQuery(window, offset, alt), Method = LlrMethods.Token };
        var plan = new StrandPlan { Method = LlrMethods.NucleotideMarginal, Fallback = () => SingleBaseQuery(window, offset, alt) };
        plan.Query = MarginalQuery(window, offset, alt);
        if (plan.Query is null)
        {
            plan.Query = plan.Fallback();
            plan.Method = LlrMethods.SingleBase;
            plan.Fallback = null;
        }
        return plan;
    }

    /// <summary>
    /// The tokens covering <paramref name="offset"/> masked together; the LLR is the mean over them of
    /// log p(alt token) − log p(ref token). Null (no pass needed) when a covering token is [UNK] or its alt spelling is no token.
    /// </summary>
    private MaskedQuery? TokenQuery(string window, int offset, char alt)
    {
        var enc = tokenizer.Encode(window);
        var covering = Covering(enc, offset);
        if (covering.Count == 0) return null;
        var ids = enc.Ids[..enc.TokenCount];
        var pairs = new List<(int Ref, int Alt)>();
        foreach (var t in covering)
        {
            var refToken = tokenizer.Vocabulary[enc.Ids[t]];
            int at = offset - enc.Offsets[t].Start;
            if (refToken.Length != enc.Offsets[t].Length || at >= refToken.Length) return null; // [UNK] or a token not spelled by its bases
            var altToken = string.Concat(refToken.AsSpan(0, at), alt.ToString(), refToken.AsSpan(at + 1));
            if (tokenizer.Vocabulary.Find(altToken) is not int altId) return null;
            pairs.Add((enc.Ids[t], altId));
            ids[t] = tokenizer.MaskId;
        }
        return new MaskedQuery(ids, covering.ToArray(), logp => pairs.Select((p, j) => (double)(logp[j][p.Alt] - logp[j][p.Ref])).Average(), LlrMethods.Token);
    }

    /// <summary>The covering BPE token masked; <see cref="NucleotideMarginal"/> over tokens of its length. Null when not defined.</summary>
    private MaskedQuery? MarginalQuery(string window, int offset, char alt)
    {
        var enc = tokenizer.Encode(window);
        var covering = Covering(enc, offset);
        if (covering.Count != 1) return null;
        int t = covering[0];
        var span = enc.Offsets[t];
        if (tokenizer.Vocabulary[enc.Ids[t]].Length != span.Length) return null; // [UNK]: the span's length is not a token length
        var ids = enc.Ids[..enc.TokenCount];
        ids[t] = tokenizer.MaskId;
        return new MaskedQuery(ids, [t], logp => marginal!.Llr(logp[0], span.Length, offset - span.Start, window[offset], alt), LlrMethods.NucleotideMarginal);
    }

    /// <summary>
    /// [prefix] tokens(left flank) [MASK] tokens(right flank) [suffix]: the variant is a one-base span, so the four
    /// single-base tokens are the candidates. Always defined when the vocabulary has them.
    /// </summary>
    private MaskedQuery SingleBaseQuery(string window, int offset, char alt)
    {
        var bare = new EncodeOptions { AddSpecialTokens = false };
        var left = tokenizer.Encode(window.AsSpan(0, offset), bare);
        var right = tokenizer.Encode(window.AsSpan(offset + 1), bare);
        var ids = tokenizer.Special.Prefix.Concat(left.Ids[..left.TokenCount]).Append(tokenizer.MaskId)
            .Concat(right.Ids[..right.TokenCount]).Concat(tokenizer.Special.Suffix).ToArray();
        return new MaskedQuery(ids, [tokenizer.Special.Prefix.Length + left.TokenCount],
            logp => marginal!.Llr(logp[0], 1, 0, window[offset], alt), LlrMethods.SingleBase);
    }

    private List<int> Covering(DnaEncoding enc, int offset) => Enumerable.Range(0, enc.TokenCount)
        .Where(t => !tokenizer.IsSpecial(enc.Ids[t]) && enc.Offsets[t].Start <= offset && offset < enc.Offsets[t].End).ToList();

    /// <summary>P(class <see cref="classIndex"/>) of each window.</summary>
    private double[] Probabilities(IReadOnlyList<string> windows, CancellationToken cancel) =>
        runner.Run(windows, w => Tokens(w), b =>
        {
            var p = Readouts.Probabilities(b.Output.SequenceLogits!, multiLabel: false).select(1, classIndex);
            return Readouts.Rows(p.unsqueeze(1)).Select(r => (double)r[0]).ToList();
        }, cancel: cancel, heads: ModelHeads.Sequence).ToArray();

    /// <summary>The mean-pooled last hidden state of each window (special tokens included, as the attention mask keeps them).</summary>
    private float[][] MeanEmbeddings(IReadOnlyList<string> windows, CancellationToken cancel) =>
        runner.Run(windows, w => Tokens(w), b =>
            Readouts.Rows(Readouts.Pool(b.Output.LastHiddenState, b.Tokens.AttentionMask, Pooling.Mean)), cancel: cancel, heads: ModelHeads.None).ToArray();

    private TokenSequence Tokens(string window)
    {
        var enc = tokenizer.Encode(window);
        return new TokenSequence(enc.Ids[..enc.TokenCount]);
    }
}
