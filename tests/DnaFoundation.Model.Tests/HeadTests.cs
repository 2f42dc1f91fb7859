using DnaFoundation.Model.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

public sealed class HeadTests
{
    [Fact]
    public void Mean_pooling_ignores_padding()
    {
        var hidden = tensor(new float[] { 1, 2, 3, 100, 5, 6, 7, 8 }).view(2, 4, 1);
        var mask = tensor(new long[] { 1, 1, 1, 0, 1, 1, 1, 1 }).view(2, 4);
        var pooled = SequenceHead.MeanPool(hidden, mask);
        Assert.Equal(2f, pooled[0, 0].item<float>(), 5);
        Assert.Equal(6.5f, pooled[1, 0].item<float>(), 5);
    }

    [Fact]
    public void Mean_pooled_classifier_is_invariant_to_padding()
    {
        var config = TinyConfigs.MosaicBert with { ClassifierPooling = "mean", NumLabels = 3 };
        using var model = ModelFactory.Create(config, ModelHeads.Sequence);
        model.eval();
        var (ids, mask) = EncoderTests.Batch(config.VocabSize, 0);
        using var _ = no_grad();
        var batched = model.forward(ids, mask).SequenceLogits!;
        var alone = model.forward(ids[2, TensorIndex.Slice(0, 4)].unsqueeze(0), null).SequenceLogits!;
        Assert.True(batched[2].allclose(alone[0], rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Chromatin_head_is_multi_label_with_a_binary_loss()
    {
        var config = TinyConfigs.Bert with { NumLabels = 919, ProblemType = "multi_label_classification" };
        using var model = ModelFactory.Create(config, ModelHeads.Sequence);
        var (ids, mask) = EncoderTests.Batch(config.VocabSize, 0);
        var logits = model.forward(ids, mask).SequenceLogits!;
        Assert.Equal([3L, 919], logits.shape);
        var targets = zeros(3, 919);
        targets[0, 5] = 1;
        var loss = Losses.ForProblem(config.ProblemType, logits, targets);
        var manual = -(targets * logits.sigmoid().log() + (1 - targets) * (1 - logits.sigmoid()).log()).mean();
        Assert.Equal(manual.item<float>(), loss.item<float>(), 4);
        loss.backward();
        Assert.NotNull(model.Encoder.Embeddings.WordEmbeddings.weight!.grad);
    }

    [Fact]
    public void Token_and_mlm_losses_ignore_minus_100()
    {
        var logits = randn(2, 3, 5);
        var labels = tensor(new long[] { 1, -100, 4, -100, -100, 0 }).view(2, 3);
        var loss = Losses.CrossEntropy(logits, labels);
        var flat = logits.view(6, 5).log_softmax(-1);
        var manual = -(flat[0, 1] + flat[2, 4] + flat[5, 0]) / 3;
        Assert.Equal(manual.item<float>(), loss.item<float>(), 5);
    }

    [Fact]
    public void Multitask_model_trains_all_three_heads_at_once()
    {
        var config = TinyConfigs.Albert with { NumRegionLabels = 4, NumChromatinLabels = 6, ProblemType = "multi_label_classification" };
        using var model = ModelFactory.Create(config, ModelHeads.MultiTask);
        var (ids, mask) = EncoderTests.Batch(config.VocabSize, 0);
        var output = model.forward(ids, mask);
        var loss = Losses.CrossEntropy(output.MlmLogits!, ids.masked_fill(mask.eq(0), Losses.IgnoreIndex))
                   + Losses.CrossEntropy(output.TokenLogits!, zeros_like(ids))
                   + Losses.MultiLabel(output.SequenceLogits!, ones(3, 6));
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{name} got no gradient");
    }

    [Fact]
    public void Tied_mlm_decoder_is_the_embedding_matrix()
    {
        using var model = ModelFactory.Create(TinyConfigs.Bert, ModelHeads.MaskedLm);
        Assert.True(model.MaskedLmHead!.IsTied);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("decoder", StringComparison.Ordinal));
        using var untied = ModelFactory.Create(TinyConfigs.Esm, ModelHeads.MaskedLm);
        Assert.False(untied.MaskedLmHead!.IsTied);
    }

    [Fact]
    public void Repeated_training_steps_do_not_leak_tensors()
    {
        using var model = ModelFactory.Create(TinyConfigs.MosaicBert, ModelHeads.MaskedLm);
        var (ids, mask) = EncoderTests.Batch(TinyConfigs.MosaicBert.VocabSize, 0);
        var labels = ids.masked_fill(mask.eq(0), Losses.IgnoreIndex);
        using var optimizer = optim.AdamW(model.parameters(), 1e-3);
        void Step(bool attentions, bool hidden)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var output = model.Run(ids, mask, outputAttentions: attentions, outputHiddenStates: hidden);
            var loss = Losses.CrossEntropy(output.MlmLogits!, labels);
            loss.backward();
            optimizer.step();
        }
        Step(false, false);                            // optimizer state and gradients exist from here on
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 6; i++) Step(i % 2 == 0, i % 3 == 0);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
