using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// Multi-head self-attention with one fused <c>qkv</c> projection (checkpoint layouts with separate
/// query/key/value are split and joined at load/save time). The fast path is <c>scaled_dot_product_attention</c>;
/// the eager path computes the same softmax(q·kᵀ/√d + bias)·v explicitly and returns the probabilities.
/// </summary>
public sealed class SelfAttention : Module<Tensor, AttentionContext, Tensor>
{
    private readonly int heads, headDim;
    private readonly double dropoutP;
    private readonly Numerics numerics;
    private readonly Linear qkv;
    private readonly Linear dense;
    private readonly Dropout attentionDropout;

    public SelfAttention(EncoderConfig config, Numerics numerics, Device? device = null) : base(nameof(SelfAttention))
    {
        this.numerics = numerics;
        heads = config.NumAttentionHeads;
        headDim = config.HeadDim;
        dropoutP = config.AttentionProbsDropoutProb;
        qkv = ModuleInit.Linear(config.HiddenSize, 3 * config.HiddenSize, device: device);
        dense = ModuleInit.Linear(config.HiddenSize, config.HiddenSize, device: device);
        attentionDropout = Dropout(dropoutP);
        RegisterComponents();
    }

    /// <summary>(B, T, hidden) → (B, T, hidden), the output projection applied, before dropout and residual.</summary>
    public override Tensor forward(Tensor x, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        // call, not forward: it runs forward hooks (fine-tuning's LoRA adds its low-rank term to this output).
        var parts = qkv.call(x).view(b, t, 3, heads, headDim).permute(2, 0, 3, 1, 4).unbind(0);  // 3 × (B, h, T, d)
        Tensor q = parts[0], k = parts[1], v = parts[2];
        if (ctx.RotaryCos is not null)
        {
            q = RotaryEmbedding.Apply(q, ctx.RotaryCos, ctx.RotarySin!);
            k = RotaryEmbedding.Apply(k, ctx.RotaryCos, ctx.RotarySin!);
        }
        var outputType = q.dtype;
        if (numerics.AttentionInFloat32 && q.dtype != ScalarType.Float32)
        {
            q = q.to(ScalarType.Float32);
            k = k.to(ScalarType.Float32);
            v = v.to(ScalarType.Float32);
        }
        var bias = ctx.Bias is { } b0 && b0.dtype != q.dtype ? b0.to(q.dtype) : ctx.Bias;
        Tensor context;
        if (ctx.Probabilities is null)
        {
            // One SDPA call; libtorch picks the kernel by Runtime.AttentionKernels' rules (no mask: flash on a GPU;
            // a float bias: memory-efficient); the context can ask it which one, for reports.
            double p = training ? dropoutP : 0.0;
            ctx.Kernels?.Add(Runtime.AttentionKernels.Observe(q, k, v, bias, p));
            context = nn.functional.scaled_dot_product_attention(q, k, v, bias, p);
        }
        else
        {
            var scores = matmul(q, k.transpose(-1, -2)) / Math.Sqrt(headDim);
            if (bias is not null) scores = scores + bias;
            var probs = nn.functional.softmax(scores, -1);
            ctx.Collect(probs.detach());
            context = matmul(attentionDropout.forward(probs), v);
        }
        if (context.dtype != outputType) context = context.to(outputType);
        var merged = context.transpose(1, 2).reshape(b, t, heads * headDim);
        return dense.call(merged).MoveToOuterDisposeScope();
    }
}
