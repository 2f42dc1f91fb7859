using Parquet;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// The Parquet page codec of shards. Snappy (the default) is what pyarrow and Spark write by default; zstd gives
/// smaller files for more CPU; none is fastest to write and read and largest on disk. See benchmarks/README.md.
/// </summary>
public enum ShardCompression
{
    Snappy,
    Zstd,
    None,
}

internal static class ShardCompressionExtensions
{
    public static ParquetOptions ParquetOptions(this ShardCompression c) => c switch
    {
        ShardCompression.Snappy => new ParquetOptions { CompressionMethod = CompressionMethod.Snappy },
        // Parquet.Net's default level for zstd is far slower than zstd's own default; the fastest level still
        // beats Snappy on size (see benchmarks/README.md).
        ShardCompression.Zstd => new ParquetOptions { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest },
        ShardCompression.None => new ParquetOptions { CompressionMethod = CompressionMethod.None },
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };
}
