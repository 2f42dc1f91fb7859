using DnaFoundation.Model.Heads;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model;

/// <summary>
/// An encoder with zero or more heads: the one model class behind <c>*ForMaskedLM</c>,
/// <c>*ForSequenceClassification</c> (incl. multi-label chromatin), <c>*ForTokenClassification</c> and the
/// LOGO-style multitask model. Build with <see cref="ModelFactory"/>; load/save with <see cref="Checkpoints.ModelDirectory"/>.
/// </summary>
public sealed class DnaModel : Module<Tensor, Tensor?, ModelOutput>
{
    private readonly DnaEncoder encoder;
    private readonly MaskedLmHead? mlm;
    private readonly SequenceHead? sequence;
    private readonly TokenHead? token;

    public DnaModel(EncoderConfig config, ModelHeads heads, Device? device = null) : base(nameof(DnaModel))
    {
        Config = config;
        Heads = heads;
        encoder = new DnaEncoder(config, device);
        var numerics = encoder.Numerics;
        if (heads.HasFlag(ModelHeads.MaskedLm))
            mlm = new MaskedLmHead(config, () => encoder.Embeddings.WordEmbeddings.weight!, numerics, device);
        if (heads.HasFlag(ModelHeads.Sequence))
            sequence = new SequenceHead(config, heads == ModelHeads.MultiTask ? config.NumChromatinLabels ?? config.LabelCount : config.LabelCount, device);
        if (heads.HasFlag(ModelHeads.Token))
            token = new TokenHead(config, heads == ModelHeads.MultiTask ? config.NumRegionLabels ?? config.LabelCount : config.LabelCount, device);
        RegisterComponents();
    }

    public EncoderConfig Config { get; }

    public ModelHeads Heads { get; }

    public DnaEncoder Encoder => encoder;

    /// <summary>fp32 islands (norms, attention) for a bf16/fp16 model: see <see cref="Model.Numerics"/>.</summary>
    public Numerics Numerics => encoder.Numerics;

    public MaskedLmHead? MaskedLmHead => mlm;

    public SequenceHead? SequenceHead => sequence;

    public TokenHead? TokenHead => token;

    /// <summary>(B, T) int64 ids and optional (B, T) mask → hidden states and every head's logits.</summary>
    public override ModelOutput forward(Tensor inputIds, Tensor? attentionMask) => Run(inputIds, attentionMask);

    public ModelOutput Run(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null,
        bool outputAttentions = false, bool outputHiddenStates = false)
    {
        // No scope of its own: the encoder and each head move exactly their results into the caller's scope.
        var enc = encoder.Run(inputIds, attentionMask, tokenTypeIds, outputAttentions, outputHiddenStates);
        var h = enc.LastHiddenState;
        return new ModelOutput(enc, mlm?.forward(h), sequence?.forward(h, attentionMask), token?.forward(h));
    }
}
