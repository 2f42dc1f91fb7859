namespace DnaFoundation.Data.Shards;

/// <summary>
/// One row of a shard: a window's place in the genome and either its sequence (original case) or its token ids
/// with one soft-mask flag per token. Ids are what the tokenizer gives, special tokens included.
/// </summary>
public sealed record ShardRow(
    string Species,
    string Contig,
    long Start,
    long End,
    char Strand,
    double SoftMaskFraction,
    string? Sequence = null,
    int[]? InputIds = null,
    byte[]? SoftMask = null);

/// <summary>What a shard set stores per row.</summary>
public enum ShardContent
{
    Sequence,
    InputIds,
}
