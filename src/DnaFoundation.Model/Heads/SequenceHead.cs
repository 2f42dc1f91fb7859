using DnaFoundation.Model.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Heads;

/// <summary>
/// Sequence-level head (classification, regression, or multi-label chromatin profiles). Pooling <c>cls</c> is HF's
/// pooler (dense + tanh on the first token); <c>mean</c> averages the unmasked tokens and has no pooler.
/// </summary>
public sealed class SequenceHead : Module<Tensor, Tensor?, Tensor>
{
    private readonly bool meanPooling;
    private readonly Linear? pooler;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public SequenceHead(EncoderConfig config, int labels, Device? device = null) : base(nameof(SequenceHead))
    {
        meanPooling = config.ClassifierPooling == "mean";
        if (!meanPooling) pooler = ModuleInit.Linear(config.HiddenSize, config.HiddenSize, device: device);
        dropout = Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = ModuleInit.Linear(config.HiddenSize, labels, device: device);
        RegisterComponents();
    }

    /// <summary>(B, T, hidden) and optional (B, T) mask → (B, labels) logits.</summary>
    public override Tensor forward(Tensor hidden, Tensor? attentionMask)
    {
        using var scope = NewDisposeScope();
        var pooled = meanPooling ? MeanPool(hidden, attentionMask) : pooler!.forward(hidden.select(1, 0)).tanh();
        return classifier.forward(dropout.forward(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>Mean over the tokens the mask keeps (all tokens without a mask).</summary>
    public static Tensor MeanPool(Tensor hidden, Tensor? attentionMask)
    {
        if (attentionMask is null) return hidden.mean([1]);
        using var scope = NewDisposeScope();
        var m = attentionMask.to(hidden.dtype).unsqueeze(-1);                       // (B, T, 1)
        return ((hidden * m).sum(1) / m.sum(1).clamp_min(1.0)).MoveToOuterDisposeScope();
    }
}
