using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.FineTuning;

public class LoraAndTasksTests
{
    private static float[] Logits(DnaModel m, Tensor ids)
    {
        m.eval();
        using var _ = no_grad();
        return m.Run(ids).SequenceLogits!.data<float>().ToArray();
    }

    [Fact]
    public void Lora_starts_at_the_base_model_trains_only_adapters_and_head_and_merges_exactly()
    {
        var train = ToyData.Encode(ToyData.Motif(64, 1));
        var dev = ToyData.Encode(ToyData.Motif(16, 2));
        using var model = ToyData.Model(3);
        var encoderBefore = model.named_parameters().Where(p => p.name.StartsWith("encoder.")).ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using var ids = tensor(train[0].Ids.Select(i => (long)i).ToArray(), [1, train[0].Ids.Length]);
        var baseLogits = Logits(model, ids);

        var lora = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = ["query", "value", "dense"] };
        using (var probe = ToyData.Model(3))
        {
            var att = LoraAttachment.Attach(probe, lora, 1);
            Assert.Equal(6, att.Count); // 3 targets × 2 layers
            Assert.Equal(baseLogits, Logits(probe, ids)); // B = 0: identical output
            Assert.All(probe.named_parameters(), p => Assert.Equal(!p.name.StartsWith("encoder."), p.parameter.requires_grad));
        }

        var cfg = new FineTuneConfig { LearningRate = 1e-2, GlobalBatch = 16, MicroBatch = 16, WarmupSteps = 0, Epochs = 2, EvalSteps = 100, Lora = lora };
        var r = new FineTuner(cfg, CPU).Run(model, ToyData.Char.PadId, train, dev);
        Assert.True(r.TrainableParameters < model.parameters().Sum(p => p.numel()) / 2);
        // After the run the adapters are merged into the weights: the encoder changed only in q, v and dense.
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.StartsWith("encoder.")))
        {
            bool adapted = name.EndsWith("attention.qkv.weight") || name.EndsWith("attention.dense.weight");
            bool changed = !p.detach().allclose(encoderBefore[name]);
            Assert.Equal(adapted, changed);
            if (name.EndsWith("attention.qkv.weight"))
            {
                var rows = p.shape[0] / 3; // the key slice is not a target
                Assert.True(p.detach().narrow(0, rows, rows).equal(encoderBefore[name].narrow(0, rows, rows)).all().item<bool>());
            }
        }
        Assert.NotEqual(baseLogits, Logits(model, ids));
    }

    [Fact]
    public void Multilabel_and_token_tasks_train_through_the_same_loop()
    {
        var rows = ToyData.Motif(48, 9);
        var multi = rows.Select(r => new DnaFoundation.Evaluation.Datasets.MultiLabeledSequence(r.Id, r.Sequence, [(byte)r.Label, (byte)(r.Sequence.Contains("AA") ? 1 : 0), 0])).ToList();
        var mTrain = FineTuneExamples.Multi(multi, ToyData.Char, 64);
        Assert.Equal(3, mTrain[0].Labels!.Length);
        using (var m = ToyData.Model(4, labels: 3))
        {
            var r = new FineTuner(new FineTuneConfig { Task = FineTuneTask.MultiLabel, LearningRate = 3e-3, GlobalBatch = 16, MicroBatch = 8, WarmupSteps = 0, Epochs = 3, EvalSteps = 3, SelectBy = "dev-auroc" }, CPU)
                .Run(m, ToyData.Char.PadId, mTrain, mTrain);
            Assert.True(r.Dev[^1].Loss < r.Dev[0].Loss + 1e-6);
            Assert.InRange(r.Best!.Metrics["auroc"], 0.0, 1.0);
        }

        // Token task: 1 on the bases of the motif (where planted), per-token targets with −100 on [CLS]/[SEP].
        var seqs = rows.Select(r => r.Sequence).ToList();
        var perBase = seqs.Select(s => { var y = new byte[s.Length]; int at = s.IndexOf("GATAAG"); if (at >= 0) for (int i = at; i < at + 6; i++) y[i] = 1; return y; }).ToList();
        var tTrain = FineTuneExamples.Token(seqs, perBase, ToyData.Char, 64);
        int specials = ToyData.Char.Special.Prefix.Length + ToyData.Char.Special.Suffix.Length;
        Assert.Equal(seqs[0].Length + specials, tTrain[0].TokenLabels!.Length);
        Assert.Equal(specials, tTrain[0].TokenLabels!.Count(v => v == -100));
        int planted = seqs.FindIndex(s => s.Contains("GATAAG"));
        Assert.Equal(6, tTrain[planted].TokenLabels!.Count(v => v == 1));
        using var t = ToyData.Model(5, ModelHeads.Token);
        var tr = new FineTuner(new FineTuneConfig { Task = FineTuneTask.Token, LearningRate = 3e-3, GlobalBatch = 16, MicroBatch = 16, WarmupSteps = 0, Epochs = 3, EvalSteps = 3 }, CPU)
            .Run(t, ToyData.Char.PadId, tTrain, tTrain);
        Assert.True(tr.Dev[^1].Loss < tr.Dev[0].Loss);
    }
}
