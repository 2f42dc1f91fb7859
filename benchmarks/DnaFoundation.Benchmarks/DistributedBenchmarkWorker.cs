using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using DnaFoundation.Training.Distributed;
using static TorchSharp.torch;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// What one rank of <see cref="DistributedBenchmark"/> measures, started by it under <c>mpirun</c>. Rank 0 prints one
/// line <c>RESULT {json}</c>. Times are per optimizer step, median over the measured steps, maximum over ranks.
/// </summary>
internal static class DistributedBenchmarkWorker
{
    public static int Run(IReadOnlyDictionary<string, string> o)
    {
        int threads = Int(o, "threads", 1);
        set_num_threads(threads);
        using var comm = Communicators.Create(new DistributedConfig(TimeoutSeconds: 3600, ChecksumEvery: 0), CPU);
        var result = o["mode"] == "allreduce" ? AllReduce(comm, o) : TrainingStep(comm, o, threads);
        if (comm.IsRoot) Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>Masked-LM steps of a preset on random tokens: compute (forward + backward), wait, all-reduce, optimizer.</summary>
    private static Dictionary<string, double> TrainingStep(ICommunicator comm, IReadOnlyDictionary<string, string> o, int threads)
    {
        int batch = Int(o, "batch", 8), length = Int(o, "length", 128), steps = Int(o, "steps", 3);
        manual_seed(1);
        var config = ModelPresets.Load(o["model"], ["hidden_dropout_prob=0"]);
        using var model = ModelFactory.Create(config, ModelHeads.MaskedLm);
        model.train();
        using var dp = new DataParallel(comm, model, new DistributedConfig(ChecksumEvery: 0));
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4);
        var generator = new Generator((ulong)(17 + comm.Rank));
        var samples = new List<double[]>();
        for (int step = 0; step <= steps; step++) // step 0 warms up
        {
            using var scope = NewDisposeScope();
            dp.ZeroGradients();
            var ids = randint(5, config.VocabSize, [batch, length], generator: generator);
            var labels = where(rand([batch, length], generator: generator) < 0.15, ids, full_like(ids, Losses.IgnoreIndex));
            var clock = Stopwatch.StartNew();
            var logits = model.Run(ids).MlmLogits!;
            Losses.CrossEntropy(logits, labels).backward();
            double compute = Lap(clock);
            comm.Barrier(); // the slowest rank's compute shows up here, not in the all-reduce time
            double wait = Lap(clock);
            dp.AverageGradients();
            double allReduce = Lap(clock);
            optimizer.step();
            double optimizerTime = Lap(clock);
            if (step > 0) samples.Add([compute, wait, allReduce, optimizerTime]);
        }
        double Median(int i) => MaxOverRanks(comm, samples.Select(s => s[i]).Order().ElementAt(samples.Count / 2));
        long parameters = model.parameters().Sum(p => p.numel());
        return new Dictionary<string, double>
        {
            ["ranks"] = comm.WorldSize, ["threads"] = threads, ["parameters"] = parameters, ["batch"] = batch, ["length"] = length,
            ["compute_s"] = Median(0), ["wait_s"] = Median(1), ["allreduce_s"] = Median(2), ["optimizer_s"] = Median(3),
            ["gradient_bytes"] = parameters * 4,
        };
    }

    /// <summary>Median time of an in-place all-reduce of a float32 buffer of each size (MB).</summary>
    private static Dictionary<string, double> AllReduce(ICommunicator comm, IReadOnlyDictionary<string, string> o)
    {
        var result = new Dictionary<string, double> { ["ranks"] = comm.WorldSize };
        foreach (var mb in o["sizes_mb"].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)))
        {
            using var buffer = ones((long)(mb * 1e6 / 4), dtype: ScalarType.Float32);
            var times = new List<double>();
            int repeats = mb >= 100 ? 5 : 20;
            for (int i = 0; i <= repeats; i++)
            {
                comm.Barrier();
                var clock = Stopwatch.StartNew();
                comm.AllReduceSum(buffer);
                if (i > 0) times.Add(clock.Elapsed.TotalSeconds);
            }
            result[mb.ToString(CultureInfo.InvariantCulture)] = MaxOverRanks(comm, times.Order().ElementAt(times.Count / 2));
        }
        return result;
    }

    private static double MaxOverRanks(ICommunicator comm, double value) => comm.AllGather(value).Max();

    private static double Lap(Stopwatch clock)
    {
        double s = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return s;
    }

    private static int Int(IReadOnlyDictionary<string, string> o, string key, int fallback) =>
        o.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
