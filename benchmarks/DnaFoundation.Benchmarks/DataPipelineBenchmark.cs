using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Loading;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.Model;
using DnaFoundation.Model.Heads;
using TorchSharp;
using static TorchSharp.torch;
using static DnaFoundation.Benchmarks.BenchmarkSupport;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// FASTA.gz → windows → 6-mer ids → Parquet on GRCh37 chr20, side by side with <c>gzip -dc</c> (the floor no
/// reader can beat) and <c>seqkit sliding</c> making the same windows (when installed); our reader alone; the
/// pipeline at 1 thread and all cores, and with each shard codec. Wall seconds are best of 3 (tools and our steps
/// interleaved, as the machine is shared); CPU seconds are those of the same run (for tools, of the child process),
/// the measure that load does not inflate. Then peak memory per pipeline run, and the loader's batches/s against
/// a measured training step on its own batches.
/// </summary>
public sealed class DataPipelineBenchmark : IBenchmark
{
    public string Name => "data";

    public string Description => "FASTA.gz → windows → nt6 ids → Parquet (Mbp/s, wall and CPU) vs gzip -dc and seqkit sliding; codecs; peak memory; loader batches/s vs a training step. Args: [FASTA.gz]";

    private sealed record Row(string What, string Note, Func<(double Wall, double Cpu)> Run)
    {
        public double Wall { get; set; } = double.MaxValue;
        public double Cpu { get; set; }
        public string Extra { get; set; } = "";
    }

    public int Run(string[] args)
    {
        var fasta = args.Length > 0 ? args[0] : FindChr20();
        if (fasta is null || !File.Exists(fasta))
        {
            Console.Error.WriteLine("error: GRCh37_chr20.fa.gz not found; pass its path");
            return 2;
        }
        var tmp = Path.Combine(Path.GetTempPath(), $"dnafm-bench-data-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            return Measure(fasta, tmp);
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    private static int Measure(string fasta, string tmp)
    {
        long bases = 0;
        using (var r = FastaReader.Open(fasta))
            while (r.NextRecord() is not null) bases += SkipRecord(r);
        double mbp = bases / 1e6;
        Console.WriteLine($"Input: {fasta} ({mbp:F1} Mbp); CPU {Machine()}; load average before: {LoadAverage()}");
        Console.WriteLine($"Reference tools' environment: {FairReferenceEnvironment(new ProcessStartInfo("true"))}");
        var manifestPath = Path.Combine(tmp, "m.json");
        File.WriteAllText(manifestPath, $$"""{ "name": "bench", "species": [ { "name": "human", "assembly": "GRCh37", "fasta": "{{fasta}}" } ] }""");
        var manifest = GenomeManifest.Load(manifestPath);
        var one = new ShardBuildOptions(Path.Combine(tmp, "s1"), new WindowOptions(Length: 1000), Tokenizer: "nt6", RowsPerShard: 8192, Threads: 1, Splits: [DataSplit.Train]);
        var all = one with { OutDir = Path.Combine(tmp, "sN"), Threads = 0 };
        var zstd = one with { OutDir = Path.Combine(tmp, "sz"), Compression = ShardCompression.Zstd };
        var none = one with { OutDir = Path.Combine(tmp, "s0"), Compression = ShardCompression.None };
        // Warm-up: a genome-sized run spends its time in tier-1 JIT code (tiering and OSR need a few full passes).
        for (int i = 0; i < 2; i++) Build(manifest, one);
        Build(manifest, all);

        bool seqkit = OnPath("seqkit");
        var peaks = new Dictionary<string, long>();
        (double, double) Pipeline(ShardBuildOptions o, string label)
        {
            bool reset = ResetPeakRss();
            var t = InProcess(() => Build(manifest, o));
            if (reset) peaks[label] = Math.Max(peaks.GetValueOrDefault(label), PeakRssBytes());
            return t;
        }
        string cores = $"{Environment.ProcessorCount} threads";
        var rows = new List<Row>
        {
            new("gzip -dc FILE > /dev/null", "decompression only (1 core)", () => Tool("gzip", $"-dc {fasta}")),
            new("seqkit sliding -j 1 -W 1000 -s 1000 FILE > /dev/null", "same windows as FASTA text; no N handling, no tokens",
                () => seqkit ? Tool("seqkit", $"sliding -j 1 -W 1000 -s 1000 {fasta}") : (double.NaN, double.NaN)),
            new("dnafm FASTA reader, 1 thread", "BGZF inflate + CRC-32 + parse + IUPAC check",
                () => InProcess(() => { using var r = FastaReader.Open(fasta, threads: 1); while (r.NextRecord() is not null) SkipRecord(r); })),
            new("dnafm FASTA → windows → nt6 ids, no Parquet, 1 thread", "the pipeline's first stage: what its reading thread does",
                () => InProcess(() => Produce(manifest, one))),
            new("dnafm FASTA → windows → nt6 ids → Parquet, 1 thread", "Snappy (default), sha256 while writing", () => Pipeline(one, "1 thread, Snappy")),
            new($"same, {cores}", "parallel BGZF inflate; Parquet encode + write on its own thread", () => Pipeline(all, $"{cores}, Snappy")),
            new("same, 1 thread, --compression zstd", "zstd (fastest level)", () => Pipeline(zstd, "1 thread, zstd")),
            new("same, 1 thread, --compression none", "no codec", () => Pipeline(none, "1 thread, none")),
        };
        for (int rep = 0; rep < 3; rep++)
        {
            foreach (var row in rows)
            {
                var (wall, cpu) = row.Run();
                if (double.IsNaN(wall) || wall >= row.Wall) continue;
                row.Wall = wall;
                row.Cpu = cpu;
            }
        }
        rows[1].Extra = seqkit ? "" : "not installed";
        foreach (var (row, dir) in new[] { (rows[4], one.OutDir), (rows[5], all.OutDir), (rows[6], zstd.OutDir), (rows[7], none.OutDir) })
            row.Extra = string.Create(CultureInfo.InvariantCulture, $"{DirBytes(dir) / 1e6:F1} MB of shards");

        double gzipWall = rows[0].Wall, gzipCpu = rows[0].Cpu;
        Console.WriteLine($"Load average after the runs: {LoadAverage()}; CPU pressure (PSI, share of time some task waited for a CPU): {CpuPressure()}\n");
        Console.WriteLine("| step | wall s (best of 3) | Mbp/s | vs `gzip -dc` (wall) | CPU s | vs `gzip -dc` (CPU) | output / note |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            if (row.Wall == double.MaxValue)
            {
                Console.WriteLine($"| {row.What} | – | – | – | – | – | {row.Extra} |");
                continue;
            }
            var note = row.Extra.Length > 0 ? $"{row.Extra}; {row.Note}" : row.Note;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.What} | {row.Wall:F2} | {mbp / row.Wall:F0} | {gzipWall / row.Wall:P0} | {row.Cpu:F2} | {gzipCpu / row.Cpu:P0} | {note} |"));
        }
        // The two stages of the pipelined build: reading + tokenizing (measured above), and the rest (encoding,
        // compressing, hashing, writing) = the whole 1-thread build minus it. With a core each, the slower one bounds it.
        double produce = rows[3].Cpu, write = rows[4].Cpu - produce;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"\nStages (CPU s, 1 thread): read + windows + tokenize {produce:F2}, Parquet encode + Snappy + sha256 + write {write:F2}; " +
            $"on two free cores the pipelined build is bounded by the slower stage: ≈ {rows[4].Cpu / Math.Max(produce, write):F1}× the 1-thread speed."));
        if (peaks.Count > 0)
            Console.WriteLine("Peak resident memory of this process during each pipeline run (runtime included): " +
                string.Join(", ", peaks.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value / 1048576.0:F0} MiB"))) + ".");
        else
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Peak working set of this process over all runs above: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB."));
        LoaderVersusTraining(all.OutDir);
        return 0;
    }

    /// <summary>
    /// The loader's batches/s from the shards just written (32 × ≤ 512 tokens, padded to 8, shuffled, read-ahead
    /// thread) against one MLM training step (forward, backward, AdamW) of the smallest preset on those very
    /// batches: the fastest consumer this machine has, so the most demanding ratio.
    /// </summary>
    private static void LoaderVersusTraining(string shards)
    {
        var o = new LoaderOptions(BatchSize: 32, MaxTokens: 512, Seed: 1);
        using var loader = StreamingLoader.FromShards(shards, DataSplit.Train, o);
        var first = loader.Next()!;
        int n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < 5 && loader.Next() is not null) n++;
        double batchesPerSecond = n / sw.Elapsed.TotalSeconds;

        torch.manual_seed(0);
        var config = ModelPresets.Load("tiny") with { VocabSize = 4107, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 };
        using var model = ModelFactory.Create(config, ModelHeads.MaskedLm);
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), 1e-4);
        using var ids = tensor(first.InputIds, [first.Size, first.Length]);
        using var mask = tensor(first.AttentionMask.Select(b => (long)b).ToArray(), [first.Size, first.Length]);
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = Losses.CrossEntropy(model.forward(ids, mask).MlmLogits!, ids);
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
        }
        // The faster of 1 thread and all cores: on a loaded machine, extra threads can slow a small model down.
        double step = double.MaxValue;
        int bestThreads = 1;
        foreach (int threads in new[] { 1, Environment.ProcessorCount }.Distinct())
        {
            torch.set_num_threads(threads);
            Step();
            const int steps = 5;
            sw.Restart();
            for (int i = 0; i < steps; i++) Step();
            double s = sw.Elapsed.TotalSeconds / steps;
            if (s < step) (step, bestThreads) = (s, threads);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Loader: {batchesPerSecond:F0} batches/s ({first.Size} × {first.Length} tokens, padded to 8, shuffled, from Parquet). " +
            $"Training step of the `tiny` preset (2 layers × 64 hidden, {bestThreads} CPU thread(s)) on the same batch: {step * 1000:F0} ms, " +
            $"so the loader is {batchesPerSecond * step:F0}× faster than that step consumes batches."));
    }

    /// <summary>The builder's first stage alone: its windows, tokenized into reused buffers as the row groups do.</summary>
    private static void Produce(GenomeManifest manifest, ShardBuildOptions options)
    {
        var tokenizer = DnaFoundation.Tokenizers.DnaTokenizers.Load(options.Tokenizer!);
        var ids = new int[1 << 16];
        var soft = new byte[1 << 16];
        foreach (var w in new ShardBuilder(manifest, options).Windows(DataSplit.Train))
        {
            _ = w.SoftMaskFraction;
            tokenizer.EncodeIds(w.Bases, ids, soft, new DnaFoundation.Tokenizers.EncodeOptions { SequenceName = w.Contig });
        }
    }

    private static void Build(GenomeManifest manifest, ShardBuildOptions options)
    {
        if (Directory.Exists(options.OutDir)) Directory.Delete(options.OutDir, recursive: true);
        new ShardBuilder(manifest, options).RunAsync().GetAwaiter().GetResult();
    }

    private static long SkipRecord(FastaReader r)
    {
        var buf = new byte[1 << 16];
        long total = 0;
        int k;
        while ((k = r.Read(buf)) > 0) total += k;
        return total;
    }

    private static (double Wall, double Cpu) InProcess(Action a)
    {
        var p = Process.GetCurrentProcess();
        var cpu0 = p.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        a();
        double wall = sw.Elapsed.TotalSeconds;
        p.Refresh();
        return (wall, (p.TotalProcessorTime - cpu0).TotalSeconds);
    }

    private static (double Wall, double Cpu) Tool(string exe, string arguments)
    {
        double cpu0 = ChildrenCpuSeconds();
        var psi = new ProcessStartInfo(exe, arguments) { RedirectStandardOutput = true, UseShellExecute = false };
        BenchmarkSupport.FairReferenceEnvironment(psi);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        p.StandardOutput.BaseStream.CopyTo(Stream.Null);
        p.WaitForExit();
        double wall = sw.Elapsed.TotalSeconds;
        return (wall, ChildrenCpuSeconds() - cpu0);
    }

    private static bool OnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, exe)));

    private static long DirBytes(string dir) => Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    // ---- Linux process accounting -------------------------------------------------------------------------------

    [StructLayout(LayoutKind.Sequential, Size = 144)]   // struct rusage on 64-bit Linux; only the two times are read
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRUsage(int who, out RUsage usage);

    /// <summary>User + system CPU of all finished children (RUSAGE_CHILDREN); NaN where not available.</summary>
    private static double ChildrenCpuSeconds()
    {
        if (!OperatingSystem.IsLinux() || GetRUsage(-1, out var u) != 0) return double.NaN;
        return u.UserSeconds + u.SystemSeconds + (u.UserMicroseconds + u.SystemMicroseconds) / 1e6;
    }

    /// <summary>Resets this process's peak RSS (VmHWM) so the next run's peak can be read alone.</summary>
    private static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long PeakRssBytes() => (ProcStatusKiB("VmHWM") ?? 0) * 1024;

    private static string CpuPressure()
    {
        const string psi = "/proc/pressure/cpu";
        var some = File.Exists(psi) ? File.ReadLines(psi).FirstOrDefault(l => l.StartsWith("some", StringComparison.Ordinal)) : null;
        return some is null ? "n/a" : string.Join(' ', some.Split(' ').Skip(1).Take(2));
    }

    private static string? FindChr20()
    {
        var env = Environment.GetEnvironmentVariable("DNAFM_SHARED_DATA");
        var repo = TryRepoRoot(Directory.GetCurrentDirectory());
        var root = env ?? (repo is null ? null : Path.Combine(repo, "..", "shared", "data"));
        return root is null ? null : Path.Combine(root, "genomes", "human", "GRCh37_chr20.fa.gz");
    }
}
