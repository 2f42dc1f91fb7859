using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Masking;

/// <summary>
/// Turns a batch of token ids into a masked-LM example, as Hugging Face's <c>torch_mask_tokens</c> does (Bernoulli
/// selection, then 80% [MASK] / 10% random token / 10% unchanged), with DNABERT's k-mer span expansion and GPN's
/// soft-mask loss weights. Special and padding tokens are never selected and never drawn as random replacements.
/// Runs on the CPU with its own seeded generator, whose state goes into checkpoints, so a resumed run masks exactly
/// as an uninterrupted one.
/// </summary>
public sealed class MlmMasker : IDisposable
{
    private readonly MaskingConfig config;
    private readonly long maskId;
    private readonly int span;
    private readonly Tensor special;      // (vocab) bool: true for ids that are never masked
    private readonly Tensor candidates;   // (n) int64: ids a random replacement may take
    private readonly Generator generator;

    /// <param name="specialIds">Every special id (pad, cls, sep, mask, unk, …): never masked, never a random replacement.</param>
    /// <param name="tokenizerSpan">The tokenizer's overlap (k for overlapping k-mers, else 1); used when the config gives no span.</param>
    public MlmMasker(MaskingConfig config, int vocabSize, int maskId, IEnumerable<int> specialIds, int tokenizerSpan, long seed)
    {
        this.config = config;
        this.maskId = maskId;
        span = config.Strategy == MaskingStrategy.KmerSpan ? config.SpanLength ?? tokenizerSpan : 1;
        var isSpecial = new bool[vocabSize];
        foreach (var id in specialIds)
        {
            if ((uint)id >= (uint)vocabSize) throw new ArgumentOutOfRangeException(nameof(specialIds), $"special id {id} is outside the vocabulary (size {vocabSize})");
            isSpecial[id] = true;
        }
        isSpecial[maskId] = true;
        special = tensor(isSpecial);
        var ordinary = Enumerable.Range(0, vocabSize).Where(i => !isSpecial[i]).Select(i => (long)i).ToArray();
        if (ordinary.Length == 0) throw new ArgumentException("the vocabulary has no ordinary (non-special) token to mask");
        candidates = tensor(ordinary);
        generator = new Generator((ulong)seed, CPU);
    }

    /// <summary>How many consecutive tokens one masking decision covers (1, or k for DNABERT spans).</summary>
    public int Span => span;

    /// <summary>Offsets of a span around its centre, as DNABERT's MASK_LIST: k=6 → −2..+3, k=3 → −1..+1.</summary>
    public static int[] SpanOffsets(int k)
    {
        int left = (k - 1) / 2;
        return Enumerable.Range(-left, k).ToArray();
    }

    /// <param name="inputIds">(B, T) int64 token ids, on the CPU.</param>
    /// <param name="softMasked">Optional (B, T) bool: the token covers a soft-masked (lowercase) base.</param>
    public MaskedBatch Apply(Tensor inputIds, Tensor? softMasked = null)
    {
        if (inputIds.dim() != 2) throw new ArgumentException($"input ids must be (batch, tokens); got [{string.Join(", ", inputIds.shape)}]");
        using var scope = NewDisposeScope();
        var ids = inputIds.to(ScalarType.Int64, CPU);
        var maskable = special.index(ids).logical_not();                      // (B, T)

        double centreRate = config.MlmProbability / span;
        var selected = bernoulli(maskable.to(ScalarType.Float32) * centreRate, generator);   // (B, T) 0/1
        if (span > 1) selected = Expand(selected, SpanOffsets(span));
        var masked = selected.gt(0).logical_and(maskable);

        var labels = ids.masked_fill(masked.logical_not(), MaskedBatch.IgnoreIndex);
        // One uniform draw per token picks its fate; a second draw picks the random replacement.
        var u = rand(ids.shape, generator: generator);
        var toMask = masked.logical_and(u.lt(config.MaskReplaceProb));
        var toRandom = masked.logical_and(u.ge(config.MaskReplaceProb)).logical_and(u.lt(config.MaskReplaceProb + config.RandomReplaceProb));
        var randomIds = candidates.index(randint(0, candidates.shape[0], ids.shape, generator: generator));
        var inputs = ids.masked_fill(toMask, maskId).where(toRandom.logical_not(), randomIds);

        var weights = masked.to(ScalarType.Float32);
        if (softMasked is not null && config.SoftMaskedWeight != 1.0)
            weights = weights * where(softMasked.to(ScalarType.Bool, CPU), config.SoftMaskedWeight, 1.0).to(ScalarType.Float32);

        return new MaskedBatch(inputs.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    // A position is masked when any centre within its span offsets selected it; (B, T) 0/1 float in and out.
    private static Tensor Expand(Tensor centres, int[] offsets)
    {
        long t = centres.shape[1];
        var result = zeros_like(centres);
        foreach (var off in offsets)
        {
            if (Math.Abs(off) >= t) continue;
            // Position p is covered by centre c = p - off.
            var shifted = off switch
            {
                0 => centres,
                > 0 => nn.functional.pad(centres.narrow(1, 0, t - off), [off, 0]),
                _ => nn.functional.pad(centres.narrow(1, -off, t + off), [0, -off]),
            };
            result = result.maximum(shifted);
        }
        return result;
    }

    /// <summary>The generator state (for checkpoints).</summary>
    public byte[] GetState()
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    public void SetState(byte[] state)
    {
        using var t = tensor(state, ScalarType.Byte);
        generator.set_state(t);
    }

    public void Dispose()
    {
        special.Dispose();
        candidates.Dispose();
        generator.Dispose();
    }
}
