using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;

namespace DnaFoundation.Training.Masking;

/// <summary>
/// Which tokens a masked-LM step hides. <c>token</c>: each maskable token independently (single-base,
/// non-overlapping k-mer and BPE tokenizers; a BPE token is always masked whole, never part of its bases).
/// <c>kmer-span</c>: DNABERT's contiguous spans for overlapping k-mers — a chosen centre masks the k tokens that
/// share its bases, so the hidden base cannot be read off a neighbour.
/// </summary>
public enum MaskingStrategy
{
    Token,
    KmerSpan,
}

/// <summary>
/// Masked-LM settings, after Hugging Face's <c>DataCollatorForLanguageModeling</c> (rate, 80/10/10) plus the DNA
/// variants: DNABERT span masking and GPN's reduced loss weight on soft-masked (lowercase, repeat) bases.
/// </summary>
public sealed record MaskingConfig : IValidatableConfig
{
    /// <summary>
    /// Target fraction of maskable tokens that are masked. For <c>kmer-span</c> centres are drawn at
    /// <c>mlm_probability / span</c> (DNABERT: 0.025 × 6 ≈ 0.15), so about this fraction ends up masked.
    /// </summary>
    [Range(0.0, 1.0)] public double MlmProbability { get; init; } = 0.15;

    public MaskingStrategy Strategy { get; init; } = MaskingStrategy.Token;

    /// <summary>Span length for <c>kmer-span</c>; null = the tokenizer's k (its <c>MaskSpan</c>).</summary>
    [Range(1, 64)] public int? SpanLength { get; init; }

    /// <summary>Of the masked tokens, the fraction replaced by [MASK] (80%).</summary>
    [Range(0.0, 1.0)] public double MaskReplaceProb { get; init; } = 0.8;

    /// <summary>Of the masked tokens, the fraction replaced by a random non-special token (10%); the rest stay as they are.</summary>
    [Range(0.0, 1.0)] public double RandomReplaceProb { get; init; } = 0.1;

    /// <summary>Loss weight of masked tokens that cover a soft-masked (lowercase) base; GPN uses 0.1.</summary>
    [Range(0.0, 1.0)] public double SoftMaskedWeight { get; init; } = 1.0;

    public IEnumerable<string> Validate()
    {
        if (MaskReplaceProb + RandomReplaceProb > 1.0 + 1e-12)
            yield return $"keys 'masking.mask_replace_prob' + 'masking.random_replace_prob' = {MaskReplaceProb + RandomReplaceProb} must not exceed 1";
    }
}
