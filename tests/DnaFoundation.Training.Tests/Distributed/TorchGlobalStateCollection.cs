namespace DnaFoundation.Training.Tests.Distributed;

/// <summary>
/// In-process tests that build modules or train draw from torch's global random generator (initial weights,
/// dropout), which every thread shares: run them alone, so they neither see nor disturb the random streams of tests
/// that check bit-exact training (resume, precision tracking).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchGlobalStateCollection
{
    public const string Name = "torch global state";
}
