using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using static DnaFoundation.Benchmarks.BenchmarkSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Time and peak resident memory to load a Nucleotide-Transformer-v2-500m-sized model (random weights, ~2 GB fp32)
/// from model.safetensors, a zip torch.save pytorch_model.bin and a legacy (pre-1.6) one, against the weights'
/// size; each load runs in a fresh process so its peak is its own. Side by side: the previous loader (every tensor
/// read into memory first, then copied into the model) and PyTorch's own torch.load of the same pickles
/// (Debian python3-torch, the reference; skipped when absent). The pickles are written by PyTorch from our
/// safetensors. Target: peak RSS at most 1.3 × the weights.
/// </summary>
public sealed class ModelLoadBenchmark : IBenchmark
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public string Name => "model-load";

    public string Description => "load an NT-v2-500m-sized checkpoint (~2 GB) from safetensors / zip pickle / legacy pickle: time and peak RSS vs file size [--preset nt-v2-500m] [--dir PATH] [--repeats 1]";

    public int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "--worker") return Worker(args[1], args[2]);
        var preset = StringArg(args, "--preset") ?? "nt-v2-500m";
        var root = StringArg(args, "--dir") ?? Path.Combine(Path.GetTempPath(), $"dnafm-model-load-{preset}");
        int repeats = IntArg(args, "--repeats", 1);
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : null;

        Console.WriteLine($"# model-load ({preset}), {DateTime.UtcNow:yyyy-MM-dd}, load average before: {LoadAverage()}");
        Console.WriteLine($"CPU: {CpuName()}; files in {root}");
        var dirs = Prepare(root, preset, python);
        long weights = new FileInfo(Path.Combine(dirs["safetensors"], ModelDirectory.WeightsFile)).Length;

        Console.WriteLine();
        Console.WriteLine("| container | loader | file GB | load s | of which model built + initialised s | peak RSS GB | RSS before load GB | peak / weights | (peak − before) / weights |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        var rows = new List<(string Container, string Loader, string Mode, string Dir, string File)>
        {
            ("safetensors", "dnafm: ModelDirectory.Load", "stream", dirs["safetensors"], ModelDirectory.WeightsFile),
            ("safetensors", "previous loader: built + initialised, all tensors read, then copied", "all", dirs["safetensors"], ModelDirectory.WeightsFile),
            ("zip pickle", "dnafm: ModelDirectory.Load", "stream", dirs["zip"], ModelDirectory.PickleFile),
            ("legacy pickle", "dnafm: ModelDirectory.Load", "stream", dirs["legacy"], ModelDirectory.PickleFile),
        };
        foreach (var (container, loader, mode, dir, file) in rows)
        {
            if (!File.Exists(Path.Combine(dir, file))) continue;
            for (int r = 0; r < repeats; r++) Report(container, loader, Path.Combine(dir, file), weights, RunWorker(mode, dir));
        }
        if (python is not null)
            foreach (var (container, dir) in new[] { ("zip pickle", dirs["zip"]), ("legacy pickle", dirs["legacy"]) })
                for (int r = 0; r < repeats; r++)
                    Report(container, "torch.load (PyTorch " + TorchVersion(python) + ")", Path.Combine(dir, ModelDirectory.PickleFile), weights, RunTorch(python, Path.Combine(dir, ModelDirectory.PickleFile)));
        Console.WriteLine();
        Console.WriteLine($"weights: {weights / 1e9:F2} GB (safetensors file); load average after: {LoadAverage()}");
        return 0;
    }

    private static void Report(string container, string loader, string file, long weights, Dictionary<string, double> m)
    {
        double peak = m["peak_kib"] * 1024, before = m["before_kib"] * 1024;
        string built = m.TryGetValue("construct", out var c) && !double.IsNaN(c) ? c.ToString("F2", Inv) : "–";
        Console.WriteLine($"| {container} | {loader} | {new FileInfo(file).Length / 1e9:F2} | {m["seconds"]:F2} | {built} | {peak / 1e9:F2} | {before / 1e9:F2} | {peak / weights:F2} | {(peak - before) / weights:F2} |");
    }

    /// <summary>The model's random weights as safetensors (ours), and PyTorch's own zip and legacy pickles of the same tensors.</summary>
    private static Dictionary<string, string> Prepare(string root, string preset, string? python)
    {
        var dirs = new Dictionary<string, string> { ["safetensors"] = Path.Combine(root, "safetensors"), ["zip"] = Path.Combine(root, "zip"), ["legacy"] = Path.Combine(root, "legacy") };
        var st = dirs["safetensors"];
        if (!File.Exists(Path.Combine(st, ModelDirectory.WeightsFile)))
        {
            var clock = Stopwatch.StartNew();
            using (var model = ModelFactory.Create(ModelPresets.Load(preset), ModelHeads.MaskedLm))
                ModelDirectory.Save(model, st);
            Console.WriteLine($"wrote {preset} random weights in {clock.Elapsed.TotalSeconds:F0} s");
        }
        if (python is null)
        {
            Console.WriteLine("PyTorch (/usr/bin/python3 with python3-torch) not found: no pickles, no torch.load reference");
            return dirs;
        }
        foreach (var (name, zip) in new[] { ("zip", "True"), ("legacy", "False") })
        {
            var dir = dirs[name];
            if (File.Exists(Path.Combine(dir, ModelDirectory.PickleFile))) continue;
            Directory.CreateDirectory(dir);
            File.Copy(Path.Combine(st, ModelDirectory.ConfigFile), Path.Combine(dir, ModelDirectory.ConfigFile), overwrite: true);
            // PyTorch writes the pickle from our safetensors (read by hand: the safetensors package is not needed).
            var script = $$"""
                import json, struct, torch
                f = open({{Quote(Path.Combine(st, ModelDirectory.WeightsFile))}}, "rb")
                n = struct.unpack("<Q", f.read(8))[0]; header = json.loads(f.read(n)); start = 8 + n
                types = {"F32": torch.float32, "I64": torch.int64, "F16": torch.float16, "BF16": torch.bfloat16}
                state = {}
                for name, e in header.items():
                    if name == "__metadata__": continue
                    f.seek(start + e["data_offsets"][0]); raw = bytearray(f.read(e["data_offsets"][1] - e["data_offsets"][0]))
                    state[name] = torch.frombuffer(raw, dtype=types[e["dtype"]]).reshape(e["shape"]).clone()
                torch.save(state, {{Quote(Path.Combine(dir, ModelDirectory.PickleFile))}}, _use_new_zipfile_serialization={{zip}})
                """;
            RunPython(python, script);
            Console.WriteLine($"PyTorch wrote the {name} pickle");
        }
        return dirs;
    }

    private static string Quote(string s) => JsonSerializer.Serialize(s);

    private static Dictionary<string, double> RunWorker(string mode, string dir)
    {
        var self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(ModelLoadBenchmark).Assembly.Location);
        foreach (var a in new[] { "model-load", "--worker", mode, dir }) info.ArgumentList.Add(a);
        return Result(info);
    }

    private static Dictionary<string, double> RunTorch(string python, string file)
    {
        var script = $$"""
            import json, resource, time, torch
            def rss():
                return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS:")).split()[1])
            before = rss()
            t = time.perf_counter(); state = torch.load({{Quote(file)}}, map_location="cpu"); seconds = time.perf_counter() - t
            print("RESULT " + json.dumps({"seconds": seconds, "before_kib": before, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
            """;
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        return Result(info);
    }

    private static string TorchVersion(string python)
    {
        var info = new ProcessStartInfo(python, ["-c", "import torch; print(torch.__version__)"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(info)!;
        var v = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return v;
    }

    private static void RunPython(string python, string script)
    {
        var info = new ProcessStartInfo(python) { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        using var p = Process.Start(info)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"python exited with {p.ExitCode}");
    }

    private static Dictionary<string, double> Result(ProcessStartInfo info)
    {
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        int at = output.IndexOf("RESULT {", StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException($"{info.FileName} exited with {p.ExitCode}:\n{output}");
        return JsonSerializer.Deserialize<Dictionary<string, double>>(output[(at + "RESULT ".Length)..].Split('\n')[0])!;
    }

    /// <summary>One load in this (fresh) process: the model allocated, then its weights read; peak RSS from VmHWM.</summary>
    private static int Worker(string mode, string dir)
    {
        // libtorch and the runtime are loaded (a tiny tensor op) before the baseline, as any real load has them.
        using (var warm = ones(4)) warm.sum().item<float>();
        long before = ProcStatusKiB("VmRSS") ?? 0;
        var clock = Stopwatch.StartNew();
        double construct, total = 0;
        if (mode == "all")
        {
            // The previous loader: the model built and BERT-initialised, every tensor of the file in memory, then copied in.
            var config = ModelDirectory.ReadConfig(dir);
            using var model = ModelFactory.Create(config, ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault()));
            construct = clock.Elapsed.TotalSeconds;
            var tensors = ModelDirectory.ReadTensors(ModelDirectory.WeightsPath(dir)[0]);
            ModelDirectory.Apply(model, tensors, dir, HeadLoading.Strict);
            foreach (var t in tensors.Values) t.Dispose();
        }
        else
        {
            // What every command does: ModelDirectory.Load (config, model built, weights read tensor by tensor into it).
            var config = ModelDirectory.ReadConfig(dir);
            using (new DnaModel(config, ModelHeads.None, new Device("meta"))) { }   // (config parsing and class loading, outside the clock below)
            clock.Restart();
            var (model, _) = ModelDirectory.Load(dir);
            model.Dispose();
            total = clock.Elapsed.TotalSeconds;
            construct = double.NaN;   // built inside the load, without libtorch's initialisation (the file overwrites it)
        }
        double seconds = mode == "all" ? clock.Elapsed.TotalSeconds : total;
        var result = new Dictionary<string, double> { ["seconds"] = seconds, ["before_kib"] = before, ["peak_kib"] = ProcStatusKiB("VmHWM") ?? 0 };
        if (!double.IsNaN(construct)) result["construct"] = construct;
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    private static string CpuName()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path)) return "unknown";
        string? Field(string name) => File.ReadLines(path).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal)) is { } l ? l[(l.IndexOf(':') + 1)..].Trim() : null;
        var flags = (Field("flags") ?? "").Split(' ');
        var simd = flags.Contains("avx512f") ? "AVX-512" + (flags.Contains("avx512_bf16") ? " + avx512_bf16" : "") : flags.Contains("avx2") ? "AVX2" : "no AVX2";
        return $"{Field("model name") ?? "unknown"} (family {Field("cpu family")} model {Field("model\t")}, {simd}), {Environment.ProcessorCount} cores";
    }
}
