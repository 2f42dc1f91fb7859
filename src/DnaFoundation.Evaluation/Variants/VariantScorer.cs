using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Variants;

/// <summary>Which scores to compute; each needs the matching head (MLM, sequence classifier) or none (embedding).</summary>
[Flags]
public enum VariantScores { None = 0, Llr = 1, Classifier = 2, Embedding = 4 }

/// <summary>One output row: the variant, its status, and every score asked for (null where not defined).</summary>
public sealed record VariantScore(PreparedVariant Variant, string Status, double? Llr, double? LlrForward, double? LlrReverse, double? ClassifierDelta, double? EmbeddingDistance);

/// <summary>
/// Scores variants on a window centred on each one (N-padded at contig ends), every score averaged over the
/// forward and reverse-complement strands as GPN does:
/// (a) LLR = log P(alt) − log P(ref) with the variant masked (GPN's masked marginal): the tokens covering the
///     variant are masked together (one for single-nucleotide and BPE tokenizers, k for overlapping k-mers); for each,
///     the token with the alt base substituted is scored against the reference token, and their mean is the LLR.
///     Defined for SNVs only: indels and MNVs get status indel_unsupported / mnv_unsupported for this score.
/// (b) classifier delta = P(class | alt window) − P(class | ref window) of a fine-tuned sequence classifier;
/// (c) embedding distance = 1 − cosine(mean-pooled last hidden state of ref window, of alt window).
/// For (b) and (c) an indel's alt window is the reference window edited at the variant and re-cut to the same
/// width (<see cref="VariantWindow.WithAllele"/>).
/// </summary>
public sealed class VariantScorer(DnaModel model, DnaTokenizer tokenizer, Device device, int classIndex = 1)
{
    public VariantScore Score(PreparedVariant v, VariantScores wanted)
    {
        if (v.Status != VariantStatus.Ok) return new VariantScore(v, v.Status, null, null, null, null, null);
        var r = v.Record;
        var w = v.Window!;
        string status = VariantStatus.Ok;
        double? llr = null, fwd = null, rev = null, cls = null, emb = null;
        if (wanted.HasFlag(VariantScores.Llr))
        {
            if (r.IsSnv)
            {
                fwd = StrandLlr(w.Bases, w.VariantOffset, r.Alt[0]);
                var rc = DnaAlphabet.ReverseComplement(w.Bases);
                rev = StrandLlr(rc, w.Bases.Length - 1 - w.VariantOffset, DnaAlphabet.ReverseComplement(r.Alt)[0]);
                llr = fwd is double f && rev is double b ? (f + b) / 2 : null;
                if (llr is null) status = "token_not_in_vocabulary";
            }
            else status = r.IsIndel ? VariantStatus.IndelUnsupported : VariantStatus.MnvUnsupported;
        }
        var alt = w.WithAllele(r.Ref, r.Alt);
        if (wanted.HasFlag(VariantScores.Classifier))
            cls = BothStrands(w.Bases, alt, (a, b) => Probability(b) - Probability(a));
        if (wanted.HasFlag(VariantScores.Embedding))
            emb = BothStrands(w.Bases, alt, (a, b) => 1 - Embeddings.Similarity.Cosine(Embed(a), Embed(b)));
        // An indel with only the LLR asked for has no score at all; with other scores it is scored by them.
        if (status != VariantStatus.Ok && (cls is not null || emb is not null) && status != "token_not_in_vocabulary")
            status = VariantStatus.Ok + ";" + status;
        return new VariantScore(v, status, llr, fwd, rev, cls, emb);
    }

    private static double BothStrands(string refWindow, string altWindow, Func<string, string, double> f) =>
        (f(refWindow, altWindow) + f(DnaAlphabet.ReverseComplement(refWindow), DnaAlphabet.ReverseComplement(altWindow))) / 2;

    /// <summary>Mean over the tokens covering <paramref name="offset"/> of log p(alt token) − log p(ref token), all masked at once.</summary>
    internal double? StrandLlr(string window, int offset, char alt)
    {
        var enc = tokenizer.Encode(window);
        var covering = Enumerable.Range(0, enc.TokenCount)
            .Where(t => !tokenizer.IsSpecial(enc.Ids[t]) && enc.Offsets[t].Start <= offset && offset < enc.Offsets[t].End).ToList();
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
        using var _ = no_grad();
        model.eval();
        var logp = model.Run(tensor(ids, [1, ids.Length], device: device)).MlmLogits!.to(ScalarType.Float32).log_softmax(-1)[0].cpu();
        return pairs.Average(p => logp[p.Token, p.Alt].item<float>() - logp[p.Token, p.Ref].item<float>());
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
