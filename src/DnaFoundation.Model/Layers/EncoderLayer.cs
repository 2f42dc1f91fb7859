using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// One transformer block. Post-LN (BERT, DNABERT-2, ALBERT): <c>x = norm(x + drop(attn(x)))</c>, then
/// <c>x = norm(x + drop(ffn(x)))</c>. Pre-LN (ESM / NT): <c>x = x + drop(attn(norm(x)))</c>, <c>x = x + drop(ffn(norm(x)))</c>.
/// </summary>
public sealed class EncoderLayer : Module<Tensor, AttentionContext, Tensor>
{
    private readonly bool preNorm;
    private readonly SelfAttention attention;
    private readonly Norm attention_norm;
    private readonly FeedForward ffn;
    private readonly Norm ffn_norm;
    private readonly Dropout dropout;

    public EncoderLayer(EncoderConfig config, Numerics numerics, Device? device = null) : base(nameof(EncoderLayer))
    {
        preNorm = config.LayerNormPlacement == NormPlacement.Pre;
        attention = new SelfAttention(config, numerics, device);
        attention_norm = new Norm(config.HiddenSize, config.LayerNormEps, numerics, device);
        ffn = new FeedForward(config, device);
        ffn_norm = new Norm(config.HiddenSize, config.LayerNormEps, numerics, device);
        dropout = Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        if (preNorm)
        {
            x = x + dropout.forward(attention.forward(attention_norm.forward(x), ctx));
            x = x + dropout.forward(ffn.forward(ffn_norm.forward(x)));
        }
        else
        {
            x = attention_norm.forward(x + dropout.forward(attention.forward(x, ctx)));
            x = ffn_norm.forward(x + dropout.forward(ffn.forward(x)));
        }
        return x.MoveToOuterDisposeScope();
    }
}
