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

    private readonly Dictionary<string, Tensor> storedExtras = new(StringComparer.Ordinal);

    /// <summary>
    /// Tensors the loaded checkpoint stored that this architecture never uses (ESM's contact head, a rotary model's
    /// position table, BERT's pooler or next-sentence head, index buffers), under their Hugging Face names. Kept on
    /// the CPU, outside the module tree (no optimizer or device move sees them), so saving and export write the
    /// family's file back whole.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> StoredExtras => storedExtras;

    /// <summary>Takes ownership of <paramref name="tensor"/> as a stored extra (replacing one of the same name).</summary>
    public void KeepExtra(string name, Tensor tensor)
    {
        if (storedExtras.Remove(name, out var old)) old.Dispose();
        storedExtras[name] = tensor.DetachFromDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var t in storedExtras.Values) t.Dispose();
            storedExtras.Clear();
        }
        base.Dispose(disposing);
    }

    /// <summary>(B, T) int64 ids and optional (B, T) mask → hidden states and every head's logits.</summary>
    public override ModelOutput forward(Tensor inputIds, Tensor? attentionMask) => Run(inputIds, attentionMask);

    /// <summary>
    /// The full forward. <paramref name="heads"/> names the heads whose logits the caller reads (null: every head the
    /// model has); the others are skipped and their logits are null. A classifier that still carries its MLM head
    /// would otherwise compute (B, T, vocab) logits on every inference batch for nothing: with DNABERT's 4,101 6-mers
    /// that is ≈ 11 % of a 6 × 512 encoder's arithmetic and a 312 MB tensor per 64 × 297 batch.
    /// </summary>
    public ModelOutput Run(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null,
        bool outputAttentions = false, bool outputHiddenStates = false, ModelHeads? heads = null)
    {
        var wanted = heads ?? Heads;
        // No scope of its own: the encoder and each head move exactly their results into the caller's scope.
        var enc = encoder.Run(inputIds, attentionMask, tokenTypeIds, outputAttentions, outputHiddenStates);
        var h = enc.LastHiddenState;
        return new ModelOutput(enc,
            wanted.HasFlag(ModelHeads.MaskedLm) ? mlm?.forward(h) : null,
            wanted.HasFlag(ModelHeads.Sequence) ? sequence?.forward(h, attentionMask) : null,
            wanted.HasFlag(ModelHeads.Token) ? token?.forward(h) : null);
    }
}
