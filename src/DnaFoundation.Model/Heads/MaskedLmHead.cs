using DnaFoundation.Model.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Heads;

/// <summary>
/// Masked-LM head: <c>decoder(norm(act(dense(h)))) + bias</c> (the bias twice when <see cref="EncoderConfig.MlmBiasAddedTwice"/>). The decoder maps the embedding width to the
/// vocabulary; when tied it reuses the input embedding matrix (one parameter, not two), else it owns <c>decoder</c>.
/// Works on any (..., hidden) input, so a trainer can gather the masked positions first.
/// </summary>
public sealed class MaskedLmHead : Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> act;
    private readonly bool biasTwice;
    private readonly Func<Tensor> tiedWeight;
    private readonly Linear dense;
    private readonly Norm LayerNorm;
    private readonly Parameter? decoder;
    private readonly Parameter bias;

    public MaskedLmHead(EncoderConfig config, Func<Tensor> inputEmbedding, Numerics numerics, Device? device = null) : base(nameof(MaskedLmHead))
    {
        int width = config.EmbeddingWidth;
        act = ActivationFunctions.Get(config.MlmAct);
        biasTwice = config.MlmBiasAddedTwice;
        tiedWeight = inputEmbedding;
        dense = ModuleInit.Linear(config.HiddenSize, width, device: device);
        LayerNorm = new Norm(width, config.LayerNormEps, numerics, device);
        if (!config.TieWordEmbeddings)
            decoder = Parameter(empty(config.VocabSize, width, device: device));
        bias = Parameter(zeros(config.VocabSize, device: device));
        RegisterComponents();
    }

    public bool IsTied => decoder is null;

    /// <summary>(..., hidden) → (..., vocab).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var h = LayerNorm.forward(act(dense.forward(hidden)));
        var logits = nn.functional.linear(h, decoder ?? tiedWeight(), bias);
        // DNABERT's transformers-2.5 head: decoder(h) + bias with decoder.bias being that same bias.
        if (biasTwice) logits = logits + bias;
        return logits.MoveToOuterDisposeScope();
    }
}
