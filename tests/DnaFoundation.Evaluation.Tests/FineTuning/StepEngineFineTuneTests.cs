using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Observability;
using DnaFoundation.Training.Steps;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests.FineTuning;

/// <summary>Fine-tuning on the shared optimizer-step engine: host reads, numerical failures, LoRA in the forward pass.</summary>
public class StepEngineFineTuneTests
{
    private static float[] Logits(DnaModel m, Tensor ids)
    {
        m.eval();
        using var _ = no_grad();
        return m.Run(ids).SequenceLogits!.data<float>().ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fine_tuning_reads_the_host_only_every_log_steps_and_still_writes_a_line_per_step(bool lora)
    {
        var train = ToyData.Encode(ToyData.Motif(48, 1));
        using var model = ToyData.Model(3);
        using var dir = new TempDir("ft-reads");
        var cfg = new FineTuneConfig
        {
            LearningRate = 1e-3, GlobalBatch = 8, MicroBatch = 4, WarmupSteps = 0, MaxSteps = 12, EvalSteps = 100, LogSteps = 4,
            Lora = lora ? new LoraOptions { Rank = 2, TargetModules = ["query", "ffn_up"] } : null,
        };
        long before = HostReads.Count;
        new FineTuner(cfg, CPU).Run(model, ToyData.Char.PadId, train, train[..8], dir.Path);
        // Flushes after steps 4, 8 and 12 (12 is also the final evaluation's): each reads the pending losses once and
        // the divergence record once. The 12 steps themselves read nothing.
        Assert.Equal(6, HostReads.Count - before);
        var lines = MetricsWriter.Read(Path.Combine(dir.Path, MetricsWriter.FileName)).Where(o => o["kind"]!.GetValue<string>() == "train").ToList();
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)i), lines.Select(l => l["step"]!.GetValue<long>()));
        Assert.All(lines, l => Assert.True(double.IsFinite(l["loss"]!.GetValue<double>())));
    }

    [Fact]
    public void A_non_finite_loss_is_a_numerical_failure_naming_the_step()
    {
        var train = ToyData.Encode(ToyData.Motif(32, 1));
        using var model = ToyData.Model(3);
        using (no_grad())
            model.named_parameters().First(p => p.name.StartsWith("encoder.")).parameter.fill_(float.NaN);
        using var dir = new TempDir("ft-nan");
        var cfg = new FineTuneConfig { LearningRate = 1e-3, GlobalBatch = 8, MicroBatch = 8, WarmupSteps = 0, MaxSteps = 6, EvalSteps = 100, LogSteps = 3 };
        var e = Assert.Throws<NumericalFailureException>(() => new FineTuner(cfg, CPU).Run(model, ToyData.Char.PadId, train, [], dir.Path));
        Assert.Equal(1, e.Step);
        Assert.StartsWith("fine-tuning diverged at step 1: the loss and the gradients became non-finite", e.Message);
        Assert.Contains("learning_rate", e.Message);
        Assert.DoesNotContain(MetricsWriter.Read(Path.Combine(dir.Path, MetricsWriter.FileName)), o => o["kind"]!.GetValue<string>() == "train");
    }

    [Fact]
    public void Lora_in_the_forward_pass_equals_its_merged_weights_and_leaves_the_base_weights_without_gradients()
    {
        var train = ToyData.Encode(ToyData.Motif(8, 1));
        using var ids = tensor(train[0].Ids.Select(i => (long)i).ToArray(), [1, train[0].Ids.Length]);
        using var model = ToyData.Model(3);
        var att = LoraAttachment.Attach(model, new LoraOptions { Rank = 4, Alpha = 8, TargetModules = ["query", "value", "dense", "ffn_down"] }, 1);
        // Give B a value (it starts at 0) so the low-rank term is not vacuous.
        using (no_grad())
            foreach (var (name, p) in att.named_parameters().Where(p => p.name.EndsWith("lora_B")))
                p.copy_(randn(p.shape) * 0.1);

        model.train();
        var loss = model.Run(ids).SequenceLogits!.sum();
        loss.backward();
        Assert.All(model.named_parameters().Where(p => p.name.StartsWith("encoder.")), p => Assert.Null(p.parameter.grad));
        Assert.All(att.named_parameters(), p => Assert.NotNull(p.parameter.grad));

        var hooked = Logits(model, ids);
        att.MergeInto();
        var merged = Logits(model, ids);
        Assert.Equal(hooked.Length, merged.Length);
        for (int i = 0; i < hooked.Length; i++) Assert.Equal(hooked[i], merged[i], 5);
        // After the merge the hooks are gone: the output is the merged weights' alone (a second merge would change it).
        Assert.Equal(merged, Logits(model, ids));
    }
}
