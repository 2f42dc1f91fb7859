using System.Globalization;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Evaluation.Interpretation;
using DnaFoundation.Evaluation.Tests.FineTuning;
using DnaFoundation.Evaluation.Tests.Inference;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.Interpretation;

public class IsmTests
{
    /// <summary>
    /// The MLM scan equals an independent PyTorch computation (tests/reference/ref_ism.py: the BERT reference on the
    /// parity weights, DNABERT 3-mers, both strands) for all 81 substitutions of a 27-bp sequence.
    /// </summary>
    [Fact]
    public void Mlm_scan_matches_the_pytorch_reference()
    {
        var golden = File.ReadAllLines(TestPaths.Fixture("interpretation", "ism_bert_kmer3.tsv"));
        var sequence = golden[0]["# sequence ".Length..];
        var rows = golden[2..].Select(l => l.Split('\t')).ToList();
        var (model, _) = ModelDirectory.Load(TestPaths.Fixture("model", "parity", "bert"), ModelHeads.MaskedLm, HeadLoading.EncoderOnly, CPU);
        using var _m = model;
        var ism = new SaturationMutagenesis(model, DnaTokenizers.Load("kmer:3"), CPU);
        var result = ism.Run([new PredictionInput("s", sequence)]).Single();
        Assert.Equal(IsmScore.Llr, result.Score);
        Assert.Equal(rows.Count, result.Variants.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var v = result.Variants[i];
            Assert.Equal(rows[i][0], (v.Offset + 1).ToString(CultureInfo.InvariantCulture));
            Assert.Equal(rows[i][1][0], v.Ref);
            Assert.Equal(rows[i][2][0], v.Alt);
            Assert.Equal(double.Parse(rows[i][5], CultureInfo.InvariantCulture), v.Delta!.Value, 4);
        }
    }

    [Fact]
    public void Substitutions_cover_every_base_three_times_and_skip_N()
    {
        var subs = SaturationMutagenesis.Substitutions("AcNT").ToList();
        Assert.Equal(9, subs.Count);
        Assert.Equal([(0, 'A', 'C'), (0, 'A', 'G'), (0, 'A', 'T'), (1, 'C', 'A')], subs.Take(4));
        Assert.DoesNotContain(subs, s => s.Offset == 2);
    }

    /// <summary>A classifier's Δ is the difference of two predictions, and the matrix/importance views agree with the rows.</summary>
    [Fact]
    public void Classifier_delta_is_mutant_minus_reference_probability()
    {
        using var d = new TempDir("ism");
        using var predictor = Predictor.Load(PredictTests.ModelDir(d, FineTuneTask.SingleLabel), CPU);
        var ism = new SaturationMutagenesis(predictor, 1, IsmScore.Probability);
        var seq = "ACGTTGCAAGCTTGCAGG";
        var r = ism.Run([new PredictionInput("x", seq)]).Single();
        var p = predictor.Predict([new PredictionInput("r", seq), new PredictionInput("m", "ACGTTGCAAGCTTGCAGC")]).ToList();
        Assert.Equal(p[0].Probabilities[1], r.ReferenceScore!.Value, 6);
        var last = r.Variants.Single(v => v.Offset == 17 && v.Alt == 'C');
        Assert.Equal(p[1].Probabilities[1] - p[0].Probabilities[1], last.Delta!.Value, 5);
        var m = r.Matrix();
        Assert.True(double.IsNaN(m[17, 2]));                                  // the reference G
        Assert.Equal(last.Delta.Value, m[17, 1], 12);
        var imp = r.Importance();
        Assert.Equal(-r.Variants.Where(v => v.Offset == 3).Average(v => v.Delta!.Value), imp[3], 12);

        var logOdds = new SaturationMutagenesis(predictor, 1, IsmScore.LogOdds).Run([new PredictionInput("x", seq)]).Single();
        double Logit(double q) => Math.Log(q / (1 - q));
        Assert.Equal(Logit(p[1].Probabilities[1]) - Logit(p[0].Probabilities[1]), logOdds.Variants.Single(v => v.Offset == 17 && v.Alt == 'C').Delta!.Value, 3);
    }

    [Fact]
    public void A_sequence_longer_than_the_model_sees_is_refused_before_anything_runs()
    {
        using var d = new TempDir("ism");
        using var predictor = Predictor.Load(PredictTests.ModelDir(d, FineTuneTask.SingleLabel, maxLength: 10), CPU);
        var ism = new SaturationMutagenesis(predictor, 1, IsmScore.Probability);
        var e = Assert.Throws<DnaInputException>(() => ism.Check(new PredictionInput("long", new string('A', 30))));
        Assert.Contains("'long'", e.Message);
    }

    /// <summary>
    /// A tiny classifier (DNABERT 3-mers, 2 layers) fine-tuned to call sequences carrying a planted GATA-like motif (64 steps; ~20–40 s on 2 busy cores: the one slow ISM test, as nothing short of training makes a model that knows a motif): ISM's largest |Δ| falls inside
    /// the planted instance for most held-out positives the model calls positive.
    /// </summary>
    [Fact]
    public void Largest_effect_of_a_motif_classifier_lies_inside_the_planted_motif()
    {
        var train = new PlantedMotifs(256, 24, 1, exact: true);
        var dev = new PlantedMotifs(32, 24, 2, exact: true);
        var test = new PlantedMotifs(40, 24, 3, exact: true);
        var tok = DnaTokenizers.Load("kmer:3");
        random.manual_seed(7);
        using var model = ModelFactory.Create(ToyData.Config() with { VocabSize = tok.VocabSize, PadTokenId = tok.PadId, MaskTokenId = tok.MaskId }, ModelHeads.Sequence);
        HeadInitializer.Initialize(model, 7);
        var cfg = new FineTuneConfig { LearningRate = 1e-2, GlobalBatch = 32, MicroBatch = 32, WarmupSteps = 4, Epochs = 8, EvalSteps = 1000, Seed = 1 };
        new FineTuner(cfg, CPU).Run(model, tok.PadId, FineTuneExamples.Single(train.Rows, tok, 64), FineTuneExamples.Single(dev.Rows, tok, 64));
        var predictor = new Predictor(model, tok, new ModelTask { Labels = ["0", "1"], MaxLength = 64 }, CPU);
        var ism = new SaturationMutagenesis(predictor, 1, IsmScore.LogOdds);
        var positives = Enumerable.Range(0, test.Rows.Count).Where(i => test.Rows[i].Label == 1).ToList();
        var results = ism.Run(positives.Select(i => new PredictionInput(test.Rows[i].Id, test.Rows[i].Sequence))).ToList();
        var called = results.Select((r, k) => (r, site: test.Sites[positives[k]])).Where(x => x.r.ReferenceScore > 0).ToList();
        Assert.True(called.Count >= positives.Count * 0.7, $"the toy model calls only {called.Count} of {positives.Count} positives");
        int inside = called.Count(x =>
        {
            var top = x.r.Variants.MaxBy(v => Math.Abs(v.Delta!.Value))!;
            return top.Offset >= x.site && top.Offset < x.site + PlantedMotifs.Pwm.Length;
        });
        Assert.True(inside >= called.Count * 0.8, $"largest |Δ| inside the motif for {inside} of {called.Count}");
    }
}
