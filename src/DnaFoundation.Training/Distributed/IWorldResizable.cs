using System.Text.Json.Nodes;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// A data stream whose saved state can continue on a different number of ranks: from the states every rank of
/// the old world saved, it computes this rank's state in the new world, so that no window is read twice.
/// </summary>
public interface IWorldResizable
{
    /// <summary>This rank's state in the current world, from <paramref name="oldStates"/> (index = old rank).</summary>
    JsonNode StateForWorld(IReadOnlyList<JsonNode> oldStates);
}
