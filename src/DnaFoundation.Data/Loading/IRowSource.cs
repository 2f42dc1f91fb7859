using DnaFoundation.Data.Shards;

namespace DnaFoundation.Data.Loading;

/// <summary>
/// Rows in shuffle windows: the rows this rank reads in window <c>w</c> of epoch <c>e</c>, already shuffled, a pure
/// function of (seed, epoch, rank, window). That purity is what makes resuming exact.
/// </summary>
public interface IRowSource
{
    /// <summary>Windows per epoch for this rank, or null when the source never ends (random sampling).</summary>
    long? WindowsPerEpoch { get; }

    ShardRow[] ReadWindow(int epoch, long window);
}
