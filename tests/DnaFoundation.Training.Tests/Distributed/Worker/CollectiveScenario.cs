using DnaFoundation.Training.Distributed;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests.Distributed.Worker;

/// <summary>
/// Every collective of <see cref="ICommunicator"/> on real MPI, with MPI calls cut into chunks of 7 items so that
/// the chunking (needed above int.MaxValue elements) runs on counts that are not a multiple of the chunk.
/// Throws on the first wrong value; writes "ok" to rank{r}.ok when all agree.
/// </summary>
public static class CollectiveScenario
{
    public static int Run(ICommunicator c, WorkerOptions options)
    {
        MpiCommunicator.MaxChunk = options.Get("chunk", 7L);
        int world = c.WorldSize, rank = c.Rank;
        double rankSum = world * (world + 1) / 2.0; // Σ (r + 1)

        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Int64 })
        {
            using var t = arange(100, dtype: dtype) * (rank + 1);
            c.AllReduceSum(t);
            Expect(t.equal(arange(100, dtype: dtype) * rankSum).all().item<bool>(), $"all-reduce {dtype}");
        }

        using (var odd = arange(1000, dtype: ScalarType.Float32).reshape(10, 100).t()) // not contiguous: staged copy
        {
            c.AllReduceSum(odd);
            Expect(odd.equal(arange(1000, dtype: ScalarType.Float32).reshape(10, 100).t() * world).all().item<bool>(), "all-reduce of a transposed tensor");
        }

        int root = world - 1;
        using (var b = full(37, rank + 0.5, dtype: ScalarType.Float32))
        {
            c.Broadcast(b, root);
            Expect(b.equal(full(37, root + 0.5, dtype: ScalarType.Float32)).all().item<bool>(), $"broadcast from rank {root}");
        }
        using (var flags = tensor(new[] { rank == root, true, false }))
        {
            c.Broadcast(flags, root);
            Expect(flags[0].item<bool>(), "broadcast of a bool tensor");
        }

        Expect(c.AllReduceSum(rank + 1.0) == rankSum, "all-reduce of a double");
        var gathered = c.AllGather(rank * 10.0 - 0.25);
        Expect(gathered.SequenceEqual(Enumerable.Range(0, world).Select(r => r * 10.0 - 0.25)), "all-gather");
        c.Barrier();

        // Replicas built from different seeds agree after the broadcast, checked by their digests.
        manual_seed(1000 + rank);
        using var model = new TinyClassifier();
        WeightSync.BroadcastFrom(c, model);
        WeightSync.VerifyIdentical(c, model, step: 0);

        File.WriteAllText(options.File($"rank{rank}.ok"), $"ok {world}");
        return 0;
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException($"collective check failed: {what}");
    }
}
