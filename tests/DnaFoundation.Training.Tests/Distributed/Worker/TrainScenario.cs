using System.Globalization;
using DnaFoundation.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests.Distributed.Worker;

/// <summary>
/// Data-parallel training of <see cref="TinyClassifier"/>: the global batch of step s is micro-batches
/// [s·A·W, (s+1)·A·W) of one fixed stream; rank r takes A consecutive ones starting at s·A·W + r·A. So a run with
/// W ranks and accumulation A sees exactly the batches of a one-process run with accumulation A·W.
/// Each rank starts from differently seeded weights: only the broadcast from rank 0 makes them agree.
/// </summary>
public static class TrainScenario
{
    public static int Run(ICommunicator communicator, DistributedConfig config, WorkerOptions options)
    {
        int steps = options.Get("steps", 5), accumulation = options.Get("accumulation", 1);
        long seed = options.Get("seed", 17L);
        int rank = communicator.Rank, world = communicator.WorldSize;

        manual_seed(seed + 7919 * rank);
        using var model = new TinyClassifier();
        using var dp = new DataParallel(communicator, model, config);
        var optimizer = optim.AdamW(model.parameters(), lr: 0.01, weight_decay: 0.01);
        var losses = new List<string>();

        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            dp.ZeroGradients();
            double localLoss = 0;
            for (int a = 0; a < accumulation; a++)
            {
                var (x, y) = TinyClassifier.MicroBatchAt(seed, (long)step * accumulation * world + (long)rank * accumulation + a);
                var loss = nn.functional.cross_entropy(model.forward(x), y);
                (loss / accumulation).backward();
                localLoss += loss.item<float>() / accumulation;
            }
            dp.AverageGradients();
            optimizer.step();
            dp.CheckWeights(step + 1);
            losses.Add(dp.Mean(localLoss).ToString("R", CultureInfo.InvariantCulture));
        }

        File.WriteAllBytes(options.File($"rank{rank}.weights"), model.WeightBytes());
        if (dp.IsRoot) File.WriteAllLines(options.File("losses.txt"), losses);
        return 0;
    }
}
