using System.ComponentModel.DataAnnotations;

namespace DnaFoundation.Data.Loading;

/// <summary>How batches are made. <see cref="Pack"/> concatenates sequences into full rows (no padding).</summary>
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
    int? Epochs = null);
