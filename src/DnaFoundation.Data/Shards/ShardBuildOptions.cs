using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Windows;

namespace DnaFoundation.Data.Shards;

/// <summary>Reverse-complement augmentation when sharding: none, a seeded coin per window, or both strands.</summary>
public enum ReverseComplementMode
{
    None,
    Random,
    Both,
}

/// <summary>Settings of <c>dnafm data shard</c>; everything that changes the rows is part of the resume fingerprint.</summary>
public sealed record ShardBuildOptions(
    string OutDir,
    WindowOptions Window,
    string? Tokenizer = null,
    string? DataDir = null,
    int RowsPerShard = 8192,
    ReverseComplementMode ReverseComplement = ReverseComplementMode.None,
    ulong Seed = 0,
    int Threads = 0,
    IReadOnlyList<DataSplit>? Splits = null,
    long? MaxRowsPerSplit = null,
    ShardCompression Compression = ShardCompression.Snappy)
{
    public IReadOnlyList<DataSplit> SplitsOrAll => Splits ?? [DataSplit.Train, DataSplit.Validation, DataSplit.Test];
}
