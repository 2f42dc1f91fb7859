using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// The position-wise feed-forward: <c>down(act(up(x)))</c>, or for gated units
/// <c>down(act(up(x)[:, :I]) * up(x)[:, I:])</c> with GELU (GEGLU, DNABERT-2) or SiLU (SwiGLU, NT-v2).
/// </summary>
public sealed class FeedForward : Module<Tensor, Tensor>
{
    private readonly bool gated;
    private readonly Func<Tensor, Tensor> act;
    private readonly Linear up;
    private readonly Linear down;

    public FeedForward(EncoderConfig config, Device? device = null) : base(nameof(FeedForward))
    {
        gated = config.IsGated;
        act = config.FeedForward switch
        {
            FeedForwardKind.Geglu => ActivationFunctions.Get("gelu"),
            FeedForwardKind.Swiglu => ActivationFunctions.Get("silu"),
            _ => ActivationFunctions.Get(config.HiddenAct),
        };
        int width = gated ? 2 * config.IntermediateSize : config.IntermediateSize;
        // DNABERT-2's gate projection has no bias while its output projection does; NT-v2 has neither.
        up = ModuleInit.Linear(config.HiddenSize, width, hasBias: config.HasFeedForwardGateBias, device: device);
        down = ModuleInit.Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.FeedForwardBias, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = up.call(x); // call runs forward hooks (LoRA), as in SelfAttention
        if (gated)
        {
            var halves = h.chunk(2, -1);
            h = act(halves[0]) * halves[1];
        }
        else
        {
            h = act(h);
        }
        return down.call(h).MoveToOuterDisposeScope();
    }
}
