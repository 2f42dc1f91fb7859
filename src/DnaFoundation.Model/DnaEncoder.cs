using DnaFoundation.Model.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model;

/// <summary>
/// The encoder shared by every family: embeddings, <c>num_hidden_layers</c> blocks (ALBERT groups share one set of
/// weights across consecutive layers), and for pre-LN models a final LayerNorm.
/// </summary>
public sealed class DnaEncoder : Module<Tensor, Tensor?, Tensor>
{
    private readonly EncoderConfig config;
    private readonly Embeddings embeddings;
    private readonly ModuleList<EncoderLayer> layer;
    private readonly Norm? final_norm;
    private readonly AlibiCache? alibi;

    public DnaEncoder(EncoderConfig config, Device? device = null, Numerics? numerics = null) : base(nameof(DnaEncoder))
    {
        Numerics = numerics ?? new Numerics();
        this.config = config;
        embeddings = new Embeddings(config, Numerics, device);
        layer = new ModuleList<EncoderLayer>();
        for (int i = 0; i < config.HiddenGroups * config.InnerGroupNum; i++)
            layer.Add(new EncoderLayer(config, Numerics, device));
        if (config.HasFinalLayerNorm)
            final_norm = new Norm(config.HiddenSize, config.LayerNormEps, Numerics, device);
        if (config.PositionEmbeddingType == PositionScheme.Alibi)
            alibi = new AlibiCache(config.NumAttentionHeads);
        RegisterComponents();
    }

    /// <summary>How many ALiBi tables this encoder has built: one per dtype/device and longest length, not one per step.</summary>
    internal int AlibiBuilds => alibi?.Builds ?? 0;

    public EncoderConfig Config => config;

    /// <summary>fp32 islands for a low-precision model; shared by every layer, switchable between steps.</summary>
    public Numerics Numerics { get; }

    public Embeddings Embeddings => embeddings;

    /// <summary>
    /// When on, every forward asks libtorch which attention kernel each layer's fast path takes
    /// (<see cref="ObservedAttentionKernels"/>); a diagnostic for benchmarks and the GPU report, off by default.
    /// </summary>
    public bool ObserveAttentionKernels { get; set; }

    /// <summary>The kernels the last forward's layers took, in layer order (empty unless <see cref="ObserveAttentionKernels"/>).</summary>
    public IReadOnlyList<Runtime.AttentionKernel> ObservedAttentionKernels { get; private set; } = [];

    /// <summary>(B, T) int64 ids and optional (B, T) mask (1 = token, 0 = padding) → (B, T, hidden).</summary>
    public override Tensor forward(Tensor inputIds, Tensor? attentionMask) => Run(inputIds, attentionMask).LastHiddenState;

    /// <summary>
    /// The full forward. <paramref name="outputAttentions"/> switches every layer to the eager attention path
    /// (same numbers as the fast path) and returns its probabilities.
    /// </summary>
    public EncoderOutput Run(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null,
        bool outputAttentions = false, bool outputHiddenStates = false)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input_ids must be (batch, tokens); got [{string.Join(", ", inputIds.shape)}]");
        using var scope = NewDisposeScope();
        var x = embeddings.forward(inputIds, attentionMask, tokenTypeIds);
        var probabilities = outputAttentions ? new List<Tensor>() : null;
        var ctx = BuildContext(attentionMask, inputIds.shape[1], x.dtype, x.device, probabilities, scope);
        var hidden = new List<Tensor>();
        if (outputHiddenStates) hidden.Add(x);
        if (ctx.Kernels is not null) ObservedAttentionKernels = ctx.Kernels;

        int perGroup = config.NumHiddenLayers / config.HiddenGroups;
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            int group = i / perGroup;
            for (int j = 0; j < config.InnerGroupNum; j++)
                x = layer[group * config.InnerGroupNum + j].forward(x, ctx);
            if (outputHiddenStates && (i < config.NumHiddenLayers - 1 || final_norm is null)) hidden.Add(x);
        }
        if (final_norm is not null)
        {
            x = final_norm.forward(x);
            if (outputHiddenStates) hidden.Add(x);
        }
        // The last hidden state may also be in the hidden-state list: move each distinct tensor exactly once,
        // or a second move would push it past the caller's scope and leak it.
        var results = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { x };
        results.UnionWith(hidden);
        results.UnionWith(probabilities ?? []);
        foreach (var t in results) t.MoveToOuterDisposeScope();
        return new EncoderOutput(x, hidden, probabilities ?? []);
    }

    private AttentionContext BuildContext(Tensor? attentionMask, long length, ScalarType dtype, Device device,
        List<Tensor>? probabilities, DisposeScope scope)
    {
        Tensor? bias = null;
        // The bias is built in the dtype attention computes in, so no layer has to cast it.
        var biasType = Numerics.AttentionInFloat32 && dtype != ScalarType.Float32 ? ScalarType.Float32 : dtype;
        // A mask means padding: callers that know a batch has none (the collators know it on the host) pass no mask.
        // Checking the mask here (mask.all()) would cost a device-to-host read on every forward.
        if (attentionMask is not null)
        {
            // Padding keys get the dtype's most negative finite value (as HF): exp() underflows to 0, and a
            // fully padded row stays finite instead of NaN.
            var keep = attentionMask.to(ScalarType.Bool).view(attentionMask.shape[0], 1, 1, length);
            bias = zeros(keep.shape, dtype: biasType, device: device).masked_fill(keep.logical_not(), finfo(biasType).min);
        }
        if (alibi is not null)
        {
            var table = alibi.Get(length, biasType, device);
            bias = bias is null ? table : bias + table;
        }
        Tensor? cos = null, sin = null;
        if (config.PositionEmbeddingType == PositionScheme.Rotary)
            (cos, sin) = RotaryEmbedding.Tables(config.HeadDim, length, dtype, device);
        return new AttentionContext
        {
            Bias = bias, RotaryCos = cos, RotarySin = sin, Probabilities = probabilities, ProbabilityScope = scope,
            Kernels = ObserveAttentionKernels && probabilities is null ? [] : null,
        };
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) alibi?.Dispose();
        base.Dispose(disposing);
    }
}
