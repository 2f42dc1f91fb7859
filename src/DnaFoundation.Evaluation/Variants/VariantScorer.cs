using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
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
/// </summary>
public sealed class VariantScorer(DnaModel model, DnaTokenizer tokenizer, Device device, int classIndex = 1)
{
    private readonly NucleotideMarginal? marginal = tokenizer is DnaBpeTokenizer ? new NucleotideMarginal(tokenizer.Vocabulary) : null;

    public VariantScore Score(PreparedVariant v, VariantScores wanted)
    {
        if (v.Status != VariantStatus.Ok) return new VariantScore(v, v.Status, null, null, null, null, null);
        var r = v.Record;
        var w = v.Window!;
        string status = VariantStatus.Ok;
        double? llr = null, fwd = null, rev = null, cls = null, emb = null;
        string? method = null;
        if (wanted.HasFlag(VariantScores.Llr))
        {
            if (r.IsSnv)
            {
                (fwd, var mf) = StrandLlr(w.Bases, w.VariantOffset, r.Alt[0]);
                var rc = DnaAlphabet.ReverseComplement(w.Bases);
                (rev, var mr) = StrandLlr(rc, w.Bases.Length - 1 - w.VariantOffset, DnaAlphabet.ReverseComplement(r.Alt)[0]);
                llr = fwd is double f && rev is double b ? (f + b) / 2 : null;
                method = mf == mr ? mf : mf + "/" + mr; // forward/reverse when the strands needed different methods
                if (llr is null) status = VariantStatus.TokenNotInVocabulary;
            }
            else status = r.IsIndel ? VariantStatus.IndelUnsupported : VariantStatus.MnvUnsupported;
        }
        var alt = w.WithAllele(r.Ref, r.Alt);
        if (wanted.HasFlag(VariantScores.Classifier))
            cls = BothStrands(w.Bases, alt, (a, b) => Probability(b) - Probability(a));
        if (wanted.HasFlag(VariantScores.Embedding))
            emb = BothStrands(w.Bases, alt, (a, b) => 1 - Embeddings.Similarity.Cosine(Embed(a), Embed(b)));
        // An indel with only the LLR asked for has no score at all; with other scores it is scored by them.
        if (status != VariantStatus.Ok && (cls is not null || emb is not null) && status != VariantStatus.TokenNotInVocabulary)
            status = VariantStatus.Ok + ";" + status;
        return new VariantScore(v, status, llr, fwd, rev, cls, emb, method);
    }

    private static double BothStrands(string refWindow, string altWindow, Func<string, string, double> f) =>
        (f(refWindow, altWindow) + f(DnaAlphabet.ReverseComplement(refWindow), DnaAlphabet.ReverseComplement(altWindow))) / 2;

    /// <summary>One strand's LLR and the method that gave it (null LLR: not defined for this vocabulary).</summary>
    internal (double? Llr, string Method) StrandLlr(string window, int offset, char alt)
    {
        if (marginal is null) return (TokenLlr(window, offset, alt), LlrMethods.Token);
        if (MarginalLlr(window, offset, alt) is double m) return (m, LlrMethods.NucleotideMarginal);
        return (SingleBaseLlr(window, offset, alt), LlrMethods.SingleBase);
    }

    /// <summary>Mean over the tokens covering <paramref name="offset"/> of log p(alt token) − log p(ref token), all masked at once.</summary>
    private double? TokenLlr(string window, int offset, char alt)
    {
        var enc = tokenizer.Encode(window);
        var covering = Covering(enc, offset);
        if (covering.Count == 0) return null;
        var ids = enc.Ids[..enc.TokenCount].Select(i => (long)i).ToArray();
        var pairs = new List<(int Token, int Ref, int Alt)>();
        foreach (var t in covering)
        {
            var refToken = tokenizer.Vocabulary[enc.Ids[t]];
            int at = offset - enc.Offsets[t].Start;
            if (refToken.Length != enc.Offsets[t].Length || at >= refToken.Length) return null; // [UNK] or a token not spelled by its bases
            var altToken = string.Concat(refToken.AsSpan(0, at), alt.ToString(), refToken.AsSpan(at + 1));
            if (tokenizer.Vocabulary.Find(altToken) is not int altId) return null;
            pairs.Add((t, enc.Ids[t], altId));
            ids[t] = tokenizer.MaskId;
        }
        using var scope = NewDisposeScope();
        var logp = MaskedLogProbs(ids);
        return pairs.Average(p => logp[p.Token, p.Alt].item<float>() - logp[p.Token, p.Ref].item<float>());
    }

    /// <summary>The covering BPE token masked; <see cref="NucleotideMarginal"/> over tokens of its length. Null when not defined.</summary>
    private double? MarginalLlr(string window, int offset, char alt)
    {
        var enc = tokenizer.Encode(window);
        var covering = Covering(enc, offset);
        if (covering.Count != 1) return null;
        int t = covering[0];
        var span = enc.Offsets[t];
        if (tokenizer.Vocabulary[enc.Ids[t]].Length != span.Length) return null; // [UNK]: the span's length is not a token length
        var ids = enc.Ids[..enc.TokenCount].Select(i => (long)i).ToArray();
        ids[t] = tokenizer.MaskId;
        return marginal!.Llr(MaskedRow(ids, t), span.Length, offset - span.Start, window[offset], alt);
    }

    /// <summary>
    /// [prefix] tokens(left flank) [MASK] tokens(right flank) [suffix]: the variant is a one-base span, so the four
    /// single-base tokens are the candidates. Always defined when the vocabulary has them.
    /// </summary>
    private double? SingleBaseLlr(string window, int offset, char alt)
    {
        var bare = new EncodeOptions { AddSpecialTokens = false };
        var left = tokenizer.Encode(window.AsSpan(0, offset), bare);
        var right = tokenizer.Encode(window.AsSpan(offset + 1), bare);
        var ids = tokenizer.Special.Prefix.Concat(left.Ids[..left.TokenCount]).Append(tokenizer.MaskId)
            .Concat(right.Ids[..right.TokenCount]).Concat(tokenizer.Special.Suffix).Select(i => (long)i).ToArray();
        return marginal!.Llr(MaskedRow(ids, tokenizer.Special.Prefix.Length + left.TokenCount), 1, 0, window[offset], alt);
    }

    private List<int> Covering(DnaEncoding enc, int offset) => Enumerable.Range(0, enc.TokenCount)
        .Where(t => !tokenizer.IsSpecial(enc.Ids[t]) && enc.Offsets[t].Start <= offset && offset < enc.Offsets[t].End).ToList();

    /// <summary>Log-probabilities over the vocabulary at every position; call inside a dispose scope.</summary>
    private Tensor MaskedLogProbs(long[] ids)
    {
        using var _ = no_grad();
        model.eval();
        return model.Run(tensor(ids, [1, ids.Length], device: device)).MlmLogits!.to(ScalarType.Float32).log_softmax(-1)[0].cpu();
    }

    private float[] MaskedRow(long[] ids, int position)
    {
        using var scope = NewDisposeScope();
        return MaskedLogProbs(ids)[position].contiguous().data<float>().ToArray();
    }

    private double Probability(string window)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var enc = tokenizer.Encode(window);
        var ids = tensor(enc.Ids.Select(i => (long)i).ToArray(), [1, enc.Length], device: device);
        return model.Run(ids).SequenceLogits!.to(ScalarType.Float32).softmax(-1)[0, classIndex].item<float>();
    }

    private float[] Embed(string window)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var enc = tokenizer.Encode(window);
        var ids = tensor(enc.Ids.Select(i => (long)i).ToArray(), [1, enc.Length], device: device);
        var mask = tensor(enc.AttentionMask.Select(b => (long)b).ToArray(), [1, enc.Length], device: device);
        return SequenceHead.MeanPool(model.Run(ids, mask).LastHiddenState.to(ScalarType.Float32), mask)[0].cpu().data<float>().ToArray();
    }
}
