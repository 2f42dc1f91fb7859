using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

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
        var fwd = new VariantScorer(model, tok, CPU).StrandLlr(v.Window!.Bases, v.Window.VariantOffset, 'T')!.Value;
        // by hand: mask the base's token, log_softmax, read the two entries
        var enc = tok.Encode(v.Window.Bases);
        int t = Enumerable.Range(0, enc.TokenCount).Single(i => enc.Offsets[i].Start == v.Window.VariantOffset && !tok.IsSpecial(enc.Ids[i]));
        var ids = enc.Ids.Select(i => (long)i).ToArray();
        ids[t] = tok.MaskId;
        model.eval();
        using var _ = no_grad();
        var logp = model.Run(tensor(ids, [1, ids.Length])).MlmLogits!.log_softmax(-1)[0, t];
        double expected = logp[tok.Vocabulary.Find("T")!.Value].item<float>() - logp[tok.Vocabulary.Find("A")!.Value].item<float>();
        Assert.Equal(expected, fwd, 5);
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
