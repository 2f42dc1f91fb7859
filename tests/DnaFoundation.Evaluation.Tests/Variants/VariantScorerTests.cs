using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;
using DnaFoundation.Data.Reference;

namespace DnaFoundation.Evaluation.Tests.Variants;

public class VariantScorerTests
{
    private const string Left = "ACGTTGCAAGCTTGCA", Right = "GGATCCTTAGCAACGT";

    private static PreparedVariant Prepare(char refBase, string vcfLine, int window = 24)
    {
        var genome = new InMemoryGenome(new Dictionary<string, string> { ["1"] = Left + refBase + Right });
        return new VariantPreparer(genome, window).Prepare(VcfReader.Read(new StringReader(vcfLine), "t.vcf").Single());
    }

    private static DnaModel MlmModel(DnaTokenizer tok, int seed)
    {
        random.manual_seed(seed);
        return ModelFactory.Create(ToyData.Config() with { VocabSize = tok.VocabSize, MaskTokenId = tok.MaskId, PadTokenId = tok.PadId }, ModelHeads.MaskedLm | ModelHeads.Sequence);
    }

    [Theory]
    [InlineData("char")]
    [InlineData("kmer:3")]
    public void Swapping_ref_and_alt_negates_the_llr(string spec)
    {
        var tok = DnaTokenizers.Load(spec);
        using var model = MlmModel(tok, 1);
        var scorer = new VariantScorer(model, tok, CPU);
        var ag = scorer.Score(Prepare('A', "1\t17\t.\tA\tG\n"), VariantScores.Llr);
        var ga = scorer.Score(Prepare('G', "1\t17\t.\tG\tA\n"), VariantScores.Llr);
        Assert.Equal(VariantStatus.Ok, ag.Status);
        Assert.NotNull(ag.Llr);
        Assert.Equal(-ag.Llr!.Value, ga.Llr!.Value, 5);
        Assert.Equal((ag.LlrForward!.Value + ag.LlrReverse!.Value) / 2, ag.Llr.Value, 9);
        Assert.NotEqual(ag.LlrForward!.Value, ag.LlrReverse!.Value, 6); // the two strands really are separate passes
    }

    [Fact]
    public void Char_llr_is_the_masked_log_probability_difference()
    {
        var tok = DnaTokenizers.Load("char");
        using var model = MlmModel(tok, 2);
        var v = Prepare('A', "1\t17\t.\tA\tT\n");
        var fwd = new VariantScorer(model, tok, CPU).StrandLlr(v.Window!.Bases, v.Window.VariantOffset, 'T');
        Assert.Equal(LlrMethods.Token, fwd.Method);
        // by hand: mask the base's token, log_softmax, read the two entries
        var enc = tok.Encode(v.Window.Bases);
        int t = Enumerable.Range(0, enc.TokenCount).Single(i => enc.Offsets[i].Start == v.Window.VariantOffset && !tok.IsSpecial(enc.Ids[i]));
        var ids = enc.Ids.Select(i => (long)i).ToArray();
        ids[t] = tok.MaskId;
        model.eval();
        using var _ = no_grad();
        var logp = model.Run(tensor(ids, [1, ids.Length])).MlmLogits!.log_softmax(-1)[0, t];
        double expected = logp[tok.Vocabulary.Find("T")!.Value].item<float>() - logp[tok.Vocabulary.Find("A")!.Value].item<float>();
        Assert.Equal(expected, fwd.Llr!.Value, 5);
    }

    /// <summary>
    /// A tiny BPE: merges GC, A+GC, T+T, TT+C, so "TTAGCTT" encodes TT | AGC | TT. The length-3 tokens are AGC and TTC:
    /// for the G at offset 3 (position 1 of AGC) alt T is not a token spelling (ATC) but TTC carries a T there.
    /// </summary>
    private static DnaBpeTokenizer TinyBpe()
    {
        string[] tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "A", "C", "G", "T", "GC", "AGC", "TT", "TTC"];
        return DnaBpeTokenizer.Create(tokens, tokens[..5], [(7, 6), (5, 9), (8, 8), (11, 6)]);
    }

    private static float[] MaskedRow(DnaModel model, long[] ids, int position)
    {
        model.eval();
        using var _ = no_grad();
        return model.Run(tensor(ids, [1, ids.Length])).MlmLogits!.log_softmax(-1)[0, position].data<float>().ToArray();
    }

    [Fact]
    public void Bpe_llr_is_the_nucleotide_marginal_over_same_length_tokens()
    {
        var tok = TinyBpe();
        using var model = MlmModel(tok, 4);
        const string window = "TTAGCTT";
        var enc = tok.Encode(window);
        Assert.Equal(["[CLS]", "TT", "AGC", "TT", "[SEP]"], enc.Ids[..enc.TokenCount].Select(i => tok.Vocabulary[i]));
        var got = new VariantScorer(model, tok, CPU).StrandLlr(window, 3, 'T');
        Assert.Equal(LlrMethods.NucleotideMarginal, got.Method);
        // by hand: mask AGC; P(T at 1 | length 3) / P(G at 1 | length 3) = p(TTC) / p(AGC), the normaliser cancels
        var ids = enc.Ids[..enc.TokenCount].Select(i => (long)i).ToArray();
        ids[2] = tok.MaskId;
        var lp = MaskedRow(model, ids, 2);
        Assert.Equal(lp[tok.Vocabulary.Find("TTC")!.Value] - lp[tok.Vocabulary.Find("AGC")!.Value], got.Llr!.Value, 5);
    }

    [Fact]
    public void Bpe_llr_falls_back_to_a_single_base_token_when_no_same_length_token_has_the_alt_base()
    {
        var tok = TinyBpe();
        using var model = MlmModel(tok, 5);
        // alt C at position 1 of a length-3 span: neither AGC nor TTC has a C there
        var got = new VariantScorer(model, tok, CPU).StrandLlr("TTAGCTT", 3, 'C');
        Assert.Equal(LlrMethods.SingleBase, got.Method);
        // by hand: [CLS] TT A [MASK] C TT [SEP] (flanks TTA and CTT encoded on their own), read C against G
        long Id(string t) => tok.Vocabulary.Find(t)!.Value;
        var lp = MaskedRow(model, [Id("[CLS]"), Id("TT"), Id("A"), tok.MaskId, Id("C"), Id("TT"), Id("[SEP]")], 3);
        Assert.Equal(lp[Id("C")] - lp[Id("G")], got.Llr!.Value, 5);
    }

    [Fact]
    public void Bpe_scores_record_the_method_and_average_the_strands()
    {
        var tok = TinyBpe();
        using var model = MlmModel(tok, 6);
        var scorer = new VariantScorer(model, tok, CPU);
        var s = scorer.Score(Prepare('G', "1\t17\t.\tG\tT\n"), VariantScores.Llr);
        Assert.Equal(VariantStatus.Ok, s.Status);
        Assert.Equal((s.LlrForward!.Value + s.LlrReverse!.Value) / 2, s.Llr!.Value, 9);
        Assert.Contains(s.LlrMethod, new[] { LlrMethods.NucleotideMarginal, LlrMethods.SingleBase, "nucleotide_marginal/single_base", "single_base/nucleotide_marginal" });
        // every SNV at every position of the window gets a value: the BPE LLR is always defined
        foreach (var alt in "ACT")
            Assert.NotNull(scorer.Score(Prepare('G', $"1\t17\t.\tG\t{alt}\n"), VariantScores.Llr).Llr);
    }

    [Fact]
    public void Indels_have_no_llr_but_embedding_and_classifier_scores_and_mismatches_no_score()
    {
        var tok = DnaTokenizers.Load("char");
        using var model = MlmModel(tok, 3);
        var scorer = new VariantScorer(model, tok, CPU);
        var indelOnlyLlr = scorer.Score(Prepare('A', "1\t17\t.\tA\tATT\n"), VariantScores.Llr);
        Assert.Equal(VariantStatus.IndelUnsupported, indelOnlyLlr.Status);
        Assert.Null(indelOnlyLlr.Llr);
        var indel = scorer.Score(Prepare('A', "1\t17\t.\tA\tATT\n"), VariantScores.Llr | VariantScores.Embedding | VariantScores.Classifier);
        Assert.Equal("ok;indel_unsupported", indel.Status);
        Assert.True(indel.EmbeddingDistance > 0);
        Assert.NotNull(indel.ClassifierDelta);
        var same = scorer.Score(Prepare('A', "1\t17\t.\tA\tA\n"), VariantScores.Embedding | VariantScores.Classifier);
        Assert.Equal(0, same.EmbeddingDistance!.Value, 5);
        Assert.Equal(0, same.ClassifierDelta!.Value, 6);
        var mismatch = scorer.Score(Prepare('A', "1\t17\t.\tC\tG\n"), VariantScores.Llr | VariantScores.Embedding);
        Assert.Equal(VariantStatus.RefMismatch, mismatch.Status);
        Assert.Null(mismatch.EmbeddingDistance);
    }

    [Fact]
    public void Aurocs_are_oriented_and_use_labelled_scored_rows_only()
    {
        var rows = new List<VariantRow>
        {
            new() { Id = "Clinvar1", Llr = -3, EmbeddingDistance = 0.5, Label = 1 },
            new() { Id = "Clinvar2", Llr = -1, EmbeddingDistance = 0.1, Label = 1 },
            new() { Id = "1000G1", Llr = -2, EmbeddingDistance = 0.2, Label = 0 },
            new() { Id = "1000G2", Llr = 1, EmbeddingDistance = 0.05, Label = 0 },
            new() { Id = "x", Llr = -9, Label = null },
            new() { Id = "1000G3", Llr = null, Label = 0 },
        };
        var a = VariantScoringJob.Aurocs(rows);
        var llr = a.Single(x => x.Score == "llr");
        Assert.Equal((2, 2), (llr.Positives, llr.Negatives));
        Assert.Equal(0.75, llr.Auroc, 12); // −LLR: 3, 1 vs 2, −1 → 3 of 4 pairs
        Assert.Equal(0.75, a.Single(x => x.Score == "embedding_distance").Auroc, 12);
        Assert.Equal(1, VariantScoringJob.LabelOf("Clinvar179", new Dictionary<string, int> { ["Clinvar"] = 1, ["1000G"] = 0 }));
    }
}
