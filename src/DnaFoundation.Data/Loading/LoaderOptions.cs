using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Data.Loading;

/// <summary>
/// How batches are made. By default a row is one sequence, padded to the batch's longest (a multiple of
/// <see cref="PadToMultipleOf"/>) or truncated at <see cref="MaxTokens"/> (the frame's closing token kept).
/// <see cref="Pack"/> concatenates sequences into full rows (no padding; several sequences per row, told apart by
/// segment ids). <see cref="SplitRows"/> cuts each sequence's tokens into rows of exactly <see cref="MaxTokens"/>
/// tokens, each framed with the tokenizer's special tokens; a sequence's last partial row is dropped, and a row never
/// mixes two sequences (so no segment ids are needed): the pretraining trainer's packed rows.
/// </summary>
public sealed record LoaderOptions(
    [property: Range(1, 1 << 20)] int BatchSize = 32,
    [property: Range(1, 1 << 24)] int MaxTokens = 512,
    bool Pack = false,
    ulong Seed = 0,
    [property: Range(1, 1 << 16)] int ShuffleChunks = 8,
    [property: Range(0, 1 << 16)] int Rank = 0,
    [property: Range(1, 1 << 16)] int WorldSize = 1,
    [property: Range(1, 1024)] int ReadAhead = 8,
    [property: Range(1, 1024)] int PadToMultipleOf = 8,
    bool ReverseComplement = false,
    int? Epochs = null,
    bool SplitRows = false);
