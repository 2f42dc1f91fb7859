using DnaFoundation.Training.Distributed;
using TorchSharp;

namespace DnaFoundation.Training.Tests.Distributed.Worker;

/// <summary>
/// Entry point of the test assembly when it is started as a program (<c>dotnet exec DnaFoundation.Training.Tests.dll
/// SCENARIO ...</c>), which the MPI tests do under <c>mpirun -np 2</c>: each rank runs one scenario and writes its
/// results to files the test then compares. xunit does not use this entry point.
/// </summary>
public static class WorkerProgram
{
    public static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: DnaFoundation.Training.Tests.dll train|pretrain|collectives|diverge|hang|fail OUT_DIR [key=value ...]");
            return 2;
        }
        torch.set_num_threads(1); // one thread per rank: ranks share a small machine, and results must be reproducible
        var options = WorkerOptions.Parse(args[1], args[2..]);
        var config = new DistributedConfig(TimeoutSeconds: options.Get("timeout", 120.0), ChecksumEvery: options.Get("checksum_every", 1));
        using var communicator = Communicators.Create(config, torch.CPU);
        return DistributedRun.Guard(communicator, () => args[0] switch
        {
            "train" => TrainScenario.Run(communicator, config, options),
            "pretrain" => PretrainScenario.Run(communicator, options),
            "collectives" => CollectiveScenario.Run(communicator, options),
            "diverge" => FailureScenarios.Diverge(communicator, config, options),
            "hang" => FailureScenarios.Hang(communicator),
            "fail" => FailureScenarios.Fail(communicator),
            var other => throw new ArgumentException($"unknown scenario '{other}'"),
        });
    }
}

/// <summary>key=value arguments of a scenario, and its output directory.</summary>
public sealed class WorkerOptions(string outDir, Dictionary<string, string> values)
{
    public string OutDir { get; } = outDir;

    public static WorkerOptions Parse(string outDir, string[] pairs) =>
        new(outDir, pairs.Select(p => p.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]));

    public string Get(string key, string fallback) => values.GetValueOrDefault(key, fallback);

    public T Get<T>(string key, T fallback) where T : IParsable<T> =>
        values.TryGetValue(key, out var s) ? T.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    public string File(string name) => Path.Combine(OutDir, name);
}
