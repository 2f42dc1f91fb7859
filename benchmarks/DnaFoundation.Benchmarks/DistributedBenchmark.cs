using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DnaFoundation.Training.Distributed;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Data-parallel step time split into compute / wait / all-reduce / optimizer, for 1 and 2 ranks over shared memory
/// and TCP loopback, the all-reduce bandwidth by message size, and a projection to N nodes from it. Runs itself
/// under <c>mpirun</c> once per configuration (<see cref="DistributedBenchmarkWorker"/>).
/// </summary>
public sealed class DistributedBenchmark : IBenchmark
{
    public string Name => "distributed";

    public string Description => "data-parallel step split (compute/all-reduce/optimizer), 1 vs 2 ranks, shared memory vs TCP; N-node projection";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public int Run(string[] args)
    {
        var o = args.Where(a => a.Contains('=')).Select(a => a.Split('=', 2)).ToDictionary(kv => kv[0].TrimStart('-'), kv => kv[1]);
        if (args.Contains("--worker")) return DistributedBenchmarkWorker.Run(o);

        var mpirun = MpirunCommandLine.Find();
        if (mpirun is null)
        {
            Console.Error.WriteLine("error: mpirun not found (apt-get install openmpi-bin)");
            return 2;
        }
        var models = (o.GetValueOrDefault("models") ?? "tiny,dnabert2-117m").Split(',');
        string steps = o.GetValueOrDefault("steps") ?? "3", batch = o.GetValueOrDefault("batch") ?? "8", length = o.GetValueOrDefault("length") ?? "128";
        string sizes = o.GetValueOrDefault("sizes_mb") ?? "1,16,128,470";

        Console.WriteLine($"## Data-parallel step (micro-batch {batch} x {length} tokens per rank, fp32, median of {steps} steps, max over ranks)\n");
        Console.WriteLine("| model | params | ranks x threads | transport | compute s | wait s | all-reduce s | optimizer s | step s | samples/s | all-reduce share |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        var runs = new (int Ranks, int Threads, LocalTransport Transport)[]
        {
            (1, 1, LocalTransport.SharedMemory), (1, 2, LocalTransport.SharedMemory), (2, 1, LocalTransport.SharedMemory), (2, 1, LocalTransport.Tcp),
        };
        foreach (var model in models)
            foreach (var (ranks, threads, transport) in runs)
            {
                var r = Launch(mpirun, ranks, transport, $"mode=step", $"model={model}", $"threads={threads}", $"steps={steps}", $"batch={batch}", $"length={length}");
                double step = r["compute_s"] + r["wait_s"] + r["allreduce_s"] + r["optimizer_s"];
                Console.WriteLine($"| {model} | {r["parameters"] / 1e6:F1}M | {ranks} x {threads} | {(ranks == 1 ? "-" : Describe(transport))} | {r["compute_s"]:F3} | {r["wait_s"]:F3} | " +
                    $"{r["allreduce_s"]:F3} | {r["optimizer_s"]:F3} | {step:F3} | {ranks * r["batch"] / step:F2} | {r["allreduce_s"] / step:P0} |");
                Console.Out.Flush();
            }

        Console.WriteLine("\n## All-reduce of a float32 buffer, 2 ranks (algorithm bandwidth = bytes / time)\n");
        Console.WriteLine("| size MB | shared memory s | shared memory GB/s | TCP loopback s | TCP loopback GB/s |");
        Console.WriteLine("|---|---|---|---|---|");
        var shm = Launch(mpirun, 2, LocalTransport.SharedMemory, "mode=allreduce", $"sizes_mb={sizes}");
        var tcp = Launch(mpirun, 2, LocalTransport.Tcp, "mode=allreduce", $"sizes_mb={sizes}");
        foreach (var size in sizes.Split(','))
        {
            double mb = double.Parse(size, Inv);
            Console.WriteLine($"| {size} | {shm[size]:F4} | {mb / 1e3 / shm[size]:F2} | {tcp[size]:F4} | {mb / 1e3 / tcp[size]:F2} |");
        }
        Projection(sizes.Split(',')[^1], tcp);
        return 0;
    }

    /// <summary>
    /// Ring all-reduce time for N nodes: each node sends and receives 2(N−1)/N of the buffer, so
    /// T(N) = 2(N−1)/N · S / B; with 2 ranks that is S / B, so B comes straight from the 2-rank measurement.
    /// </summary>
    private static void Projection(string sizeKey, Dictionary<string, double> tcp)
    {
        double bytes = double.Parse(sizeKey, Inv) * 1e6;
        double measured = bytes / tcp[sizeKey];
        Console.WriteLine($"\n## Projection: all-reduce of {sizeKey} MB (dnabert2-117m fp32 gradients) on N nodes, ring algorithm\n");
        Console.WriteLine("| link | B GB/s | N=2 s | N=4 s | N=8 s | N=16 s | N=64 s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (name, b) in new[] { ("TCP loopback here (measured)", measured), ("10 GbE", 1.25e9 * 0.9), ("25 GbE", 3.125e9 * 0.9), ("100 Gb/s InfiniBand", 12.5e9 * 0.9) })
        {
            string Cell(int n) => (2.0 * (n - 1) / n * bytes / b).ToString("F3", Inv);
            Console.WriteLine($"| {name} | {b / 1e9:F2} | {Cell(2)} | {Cell(4)} | {Cell(8)} | {Cell(16)} | {Cell(64)} |");
        }
    }

    private static string Describe(LocalTransport t) => t == LocalTransport.SharedMemory ? "shared memory" : "TCP loopback";

    private static Dictionary<string, double> Launch(string mpirun, int ranks, LocalTransport transport, params string[] options)
    {
        // Re-run this program as the worker: the apphost directly, or `dotnet <dll>` when started through dotnet.
        var self = Environment.ProcessPath!;
        string[] program = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? [self, typeof(DistributedBenchmark).Assembly.Location]
            : [self];
        var info = new ProcessStartInfo(mpirun) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in MpirunCommandLine.Arguments(ranks, transport, [.. program, "distributed", "--worker", .. options])) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        // The line may follow terminal escape codes that .NET writes when it sees a terminal on stdin.
        int at = output.IndexOf("RESULT {", StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException($"worker ({ranks} ranks, {transport}) failed with exit code {process.ExitCode}:\n{output}");
        var json = output[(at + "RESULT ".Length)..].Split('\n')[0];
        return JsonSerializer.Deserialize<Dictionary<string, double>>(json)!;
    }
}
