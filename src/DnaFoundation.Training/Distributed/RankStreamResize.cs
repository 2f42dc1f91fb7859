using System.Text.Json.Nodes;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// Re-partitions a counter-based stream in which rank r of w reads global item r + w·i at its counter i (the genome
/// windows, the in-memory sequences): the saved states say how far each old rank got, and every new rank starts at
/// its first item past the last one any old rank read. When the items read divide by the new number of ranks (the
/// usual case: global batch × steps) the new ranks start side by side; otherwise the lower ranks start one counter
/// later, so that still no item is skipped or read twice.
/// </summary>
internal static class RankStreamResize
{
    /// <summary>This rank's counter in the new world, from every old rank's saved <c>rank</c>, <c>world</c> and <c>next</c>.</summary>
    public static long Counter(IEnumerable<JsonNode> oldStates, int rank, int world)
    {
        long lastRead = -1;
        foreach (var old in oldStates)
        {
            long oldNext = old["next"]!.GetValue<long>();
            if (oldNext > 0) lastRead = Math.Max(lastRead, old["rank"]!.GetValue<int>() + old["world"]!.GetValue<int>() * (oldNext - 1));
        }
        long firstUnread = lastRead + 1;
        return firstUnread <= rank ? 0 : (firstUnread - rank + world - 1) / world;
    }
}
