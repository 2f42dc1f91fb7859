using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.FineTuning;

public class FineTunerTests
{
    private static Dictionary<string, float[]> Weights(nn.Module m) =>
        m.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().data<float>().ToArray());

    private static void CopyWeights(nn.Module from, nn.Module to)
    {
        using var _ = no_grad();
        var src = from.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in to.named_parameters()) p.copy_(src[name]);
    }

    [Fact]
    public void One_device_with_accumulation_4_equals_batch_32_at_once()
    {
        var train = ToyData.Encode(ToyData.Motif(96, 1));
        var dev = ToyData.Encode(ToyData.Motif(16, 2));
        var baseCfg = new FineTuneConfig { LearningRate = 1e-3, GlobalBatch = 32, WarmupSteps = 1, Epochs = 1, EvalSteps = 100, Seed = 5 };
        using var whole = ToyData.Model(7);
        using var accumulated = ToyData.Model(8);
        CopyWeights(whole, accumulated);

        var r1 = new FineTuner(baseCfg with { MicroBatch = 32 }, CPU).Run(whole, ToyData.Char.PadId, train, dev);
        var r2 = new FineTuner(baseCfg with { MicroBatch = 8 }, CPU).Run(accumulated, ToyData.Char.PadId, train, dev);

        Assert.Equal(3, r1.Steps);
        Assert.Equal(r1.Steps, r2.Steps);
        Assert.Equal(r1.Best!.Loss, r2.Best!.Loss, 5);
        var a = Weights(whole);
        var b = Weights(accumulated);
        double maxDiff = a.Keys.Max(k => a[k].Zip(b[k]).Max(x => Math.Abs(x.First - x.Second)));
        Assert.True(maxDiff < 2e-5, $"weights differ by up to {maxDiff}");
        // and training moved the weights at all (the comparison is not vacuous)
        using var fresh = ToyData.Model(7);
        var f = Weights(fresh);
        Assert.True(a.Keys.Max(k => a[k].Zip(f[k]).Max(x => Math.Abs(x.First - x.Second))) > 1e-4);
    }

    [Fact]
    public void Learns_a_planted_motif_and_keeps_the_best_dev_model()
    {
        var train = ToyData.Encode(ToyData.Motif(256, 3));
        var dev = ToyData.Encode(ToyData.Motif(64, 4));
        using var model = ToyData.Model(11);
        HeadInitializer.Initialize(model, 11);
        using var dir = new TempDir("ft");
        var cfg = new FineTuneConfig { LearningRate = 2e-3, GlobalBatch = 32, MicroBatch = 32, WarmupSteps = 5, Epochs = 6, EvalSteps = 16, Seed = 1 };
        var result = new FineTuner(cfg, CPU).Run(model, ToyData.Char.PadId, train, dev, dir.Path);
        Assert.Equal(FineTuner.TotalSteps(cfg, train.Length), result.Steps);
        Assert.Equal(result.Dev.MinBy(p => p.Loss)!.Step, result.BestStep);
        // The returned model is the best one: its dev loss is the best point's.
        var (loss, probs) = FineTuneEvaluation.Run(model, dev, FineTuneTask.SingleLabel, 64, CPU);
        Assert.Equal(result.Best!.Loss, loss, 4);
        var mcc = FineTuneEvaluation.Score(dev, probs, FineTuneTask.SingleLabel)["mcc"];
        Assert.True(mcc > 0.8, $"dev MCC {mcc}");
        Assert.True(File.Exists(dir.File("metrics.jsonl")));
    }

    [Fact]
    public void Patience_stops_after_evaluations_without_improvement()
    {
        var train = ToyData.Encode(ToyData.Motif(64, 5));
        var dev = ToyData.Encode(ToyData.Motif(32, 6));
        using var model = ToyData.Model(12);
        // A learning rate this high makes dev loss jump about; with patience 1 the first non-improvement stops the run.
        var cfg = new FineTuneConfig { LearningRate = 0.5, GlobalBatch = 16, MicroBatch = 16, WarmupSteps = 0, Epochs = 50, EvalSteps = 1, Patience = 1, SelectBy = "dev-loss" };
        var r = new FineTuner(cfg, CPU).Run(model, ToyData.Char.PadId, train, dev);
        Assert.True(r.StoppedEarly);
        Assert.True(r.Steps < FineTuner.TotalSteps(cfg, train.Length));
        Assert.Equal(r.Dev[^2].Step, r.BestStep);
    }

    [Fact]
    public void Head_initialisation_is_explicit_and_seeded()
    {
        using var a = ToyData.Model(1);
        using var b = ToyData.Model(2);
        var names = HeadInitializer.Initialize(a, 42);
        HeadInitializer.Initialize(b, 42);
        Assert.Contains("sequence.classifier.weight", names);
        Assert.Contains("sequence.classifier.bias", names);
        var wa = Weights(a);
        var wb = Weights(b);
        Assert.All(names, n => Assert.Equal(wa[n], wb[n]));
        Assert.All(wa["sequence.classifier.bias"], v => Assert.Equal(0f, v));
        Assert.NotEqual(wa["encoder.embeddings.word_embeddings.weight"], wb["encoder.embeddings.word_embeddings.weight"]);
        HeadInitializer.Initialize(b, 43);
        Assert.NotEqual(wa["sequence.classifier.weight"], Weights(b)["sequence.classifier.weight"]);
    }

    [Fact]
    public void Global_batches_never_span_epochs_and_reshuffle_by_seed()
    {
        var order = new EpochOrder(10, 3);
        var batches = Enumerable.Range(0, 4).Select(_ => order.Take(4).ToArray()).ToArray();
        Assert.Equal([4, 4, 2, 4], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 10), batches.Take(3).SelectMany(b => b).Order());
        var again = new EpochOrder(10, 3);
        Assert.Equal(batches[0], again.Take(4));
    }
}
