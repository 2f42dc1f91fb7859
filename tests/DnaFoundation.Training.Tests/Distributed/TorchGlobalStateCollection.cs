namespace DnaFoundation.Training.Tests.Distributed;

/// <summary>
/// In-process tests that build modules draw from torch's global random generator, which every thread shares: run
/// them alone, so they neither see nor disturb the random streams of tests that check bit-exact training.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalStateCollection
{
    public const string Name = "torch global state (distributed)";
}
