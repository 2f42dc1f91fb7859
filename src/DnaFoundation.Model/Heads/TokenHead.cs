using DnaFoundation.Model.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Heads;

/// <summary>Per-token labels ("region" annotations such as exon/intron/promoter): dropout then a linear layer.</summary>
public sealed class TokenHead : Module<Tensor, Tensor>
{
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public TokenHead(EncoderConfig config, int labels, Device? device = null) : base(nameof(TokenHead))
    {
        dropout = Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = ModuleInit.Linear(config.HiddenSize, labels, device: device);
        RegisterComponents();
    }

    /// <summary>(B, T, hidden) → (B, T, labels).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return classifier.forward(dropout.forward(hidden)).MoveToOuterDisposeScope();
    }
}
