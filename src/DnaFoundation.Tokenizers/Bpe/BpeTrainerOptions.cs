using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Tokenizers.Bpe;

/// <summary>Settings of <see cref="BpeTrainer"/>; JSON keys are the snake_case property names.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Tokens in the final vocabulary, special tokens and the four bases included (DNABERT-2: 4,096).</summary>
    [Range(10, 1_000_000)]
    public int VocabSize { get; init; } = 4096;

    /// <summary>A pair seen fewer times than this is never merged (training stops early instead).</summary>
    [Range(1, int.MaxValue)]
    public int MinFrequency { get; init; } = 2;

    /// <summary>
    /// Pre-tokenization: the corpus is cut into words at every N/ambiguity code (N is [UNK] at encode time and never
    /// merges) and into chunks of at most this many bases, so no token is longer than this.
    /// </summary>
    [Range(8, 65_536)]
    public int ChunkLength { get; init; } = 1000;

    /// <summary>
    /// Memory bound: at most this many bases are kept. A longer input is sampled uniformly by chunk (reservoir
    /// sampling) while it streams, so memory does not grow with genome size. 0 = keep everything.
    /// </summary>
    [Range(0, long.MaxValue)]
    public long MaxBases { get; init; } = 200_000_000;

    /// <summary>Seed of the reservoir sample (only used when the input exceeds <see cref="MaxBases"/>).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Special tokens, first in the vocabulary in this order (DNABERT-2's order by default).</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"];
}
