using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// Encode throughput on one core, in megabases per second, over real sequence cut into 1,000-bp chunks: our k-mer,
/// NT, single-base and BPE tokenizers side by side with Microsoft.ML.Tokenizers' BPE and Hugging Face's Rust
/// tokenizer (npm tokenizers@0.23.2, run through benchmarks/node/hf_tokenize_bench.js), all BPEs on DNABERT-2's
/// tokenizer.json. Both wall-clock and process CPU time are reported (the machine may be shared); the BPE rows
/// also print a checksum of the ids, so equal work is visible.
/// </summary>
public sealed class TokenizerBenchmark : IBenchmark
{
    public string Name => "tokenizers";

    public string Description => "Encode Mbp/s on one core: k-mer, NT, char, BPE vs Microsoft.ML BPE and Hugging Face Rust (args: [--fasta F] [--bpe tokenizer.json] [--node-modules DIR] [--repeats N] [--no-bpe])";

    private sealed record Row(string Name, double WallS, double CpuS, long Bases, long Tokens, long IdSum);

    public int Run(string[] args)
    {
        string Arg(string name, string fallback) => BenchmarkSupport.StringArg(args, name) ?? fallback;
        var shared = Environment.GetEnvironmentVariable("DNAFM_SHARED_DATA") ?? "../shared/data";
        var fasta = Arg("--fasta", Path.Combine(shared, "genomes/human/GRCh37_chr20.fa.gz"));
        var bpeJson = Arg("--bpe", Path.Combine(shared, "tokenizers/dnabert2/tokenizer.json"));
        var nodeModules = Arg("--node-modules", Environment.GetEnvironmentVariable("DNAFM_NODE_MODULES") ?? "/work/scratch-tok/node_modules");
        int repeats = int.Parse(Arg("--repeats", "3"), CultureInfo.InvariantCulture);

        var chunks = ReadChunks(fasta, 1000);
        long bases = chunks.Sum(c => (long)c.Length);
        Console.WriteLine($"input: {fasta}: {chunks.Count:N0} chunks of 1,000 bp (all-N chunks dropped), {bases / 1e6:F1} Mbp; one thread; best of {repeats}");
        Thread.CurrentThread.Priority = ThreadPriority.Highest;

        var rows = new List<Row>();
        foreach (var spec in new[] { "kmer:6", "kmer:3", "nt6", "char" })
        {
            rows.Add(Measure($"ours {spec} Encode (ids, offsets, soft-mask, attention)", DnaTokenizers.Load(spec), chunks, repeats));
            rows.Add(MeasureIds($"ours {spec} EncodeIds (ids into a reused buffer)", DnaTokenizers.Load(spec), chunks, repeats));
        }
        if (args.Contains("--no-bpe")) return Print(rows, null);
        var ours = DnaTokenizers.Load(bpeJson);
        rows.Add(Measure("ours BPE (DNABERT-2 tokenizer.json) Encode", ours, chunks, repeats));
        rows.Add(MeasureIds("ours BPE (DNABERT-2 tokenizer.json) EncodeIds", ours, chunks, repeats));
        rows.Add(MeasureMicrosoft(bpeJson, ours, chunks, repeats));
        var hf = MeasureHuggingFace(bpeJson, chunks, nodeModules, repeats);
        if (hf is not null) rows.Add(hf);
        return Print(rows, hf);
    }

    private static int Print(List<Row> rows, Row? hf)
    {
        Console.WriteLine();
        Console.WriteLine("| tokenizer | Mbp/s (wall) | Mbp/s (CPU) | tokens | id checksum |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var r in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.Bases / 1e6 / r.WallS:F1} | {r.Bases / 1e6 / r.CpuS:F1} | {r.Tokens:N0} | {r.IdSum} |"));
        var oursBpe = rows.FirstOrDefault(r => r.Name.StartsWith("ours BPE", StringComparison.Ordinal) && r.Name.EndsWith("Encode", StringComparison.Ordinal));
        if (oursBpe is null) return 0;
        if (hf is not null)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"\nours BPE / Hugging Face: {hf.WallS / oursBpe.WallS:F2}x (wall), {hf.CpuS / oursBpe.CpuS:F2}x (CPU); same ids: {hf.IdSum == oursBpe.IdSum && hf.Tokens == oursBpe.Tokens}"));
        var ms = rows.First(r => r.Name.StartsWith("Microsoft", StringComparison.Ordinal));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ours BPE / Microsoft.ML.Tokenizers BPE: {ms.WallS / oursBpe.WallS:F2}x (wall); same ids: {ms.IdSum == oursBpe.IdSum && ms.Tokens == oursBpe.Tokens}"));
        return 0;
    }

    private static List<string> ReadChunks(string fasta, int length)
    {
        var chunks = new List<string>();
        using var reader = FastaReader.Open(fasta);
        var buf = new byte[length];
        while (reader.NextRecord() is not null)
        {
            int n;
            while ((n = reader.Read(buf)) > 0)
            {
                var s = Encoding.ASCII.GetString(buf, 0, n);
                if (s.AsSpan().IndexOfAnyExcept('N', 'n') >= 0) chunks.Add(s);
            }
        }
        return chunks;
    }

    private static Row Measure(string name, DnaTokenizer tok, List<string> chunks, int repeats) =>
        Best(name, repeats, chunks, () =>
        {
            long tokens = 0, idSum = 0;
            foreach (var c in chunks)
            {
                var e = tok.Encode(c);
                tokens += e.Length;
                foreach (var id in e.Ids) idSum += id;
            }
            return (tokens, idSum);
        });

    private static Row MeasureIds(string name, DnaTokenizer tok, List<string> chunks, int repeats)
    {
        var buffer = new int[tok.MaxTokenCount(chunks.Max(c => c.Length))];
        return Best(name, repeats, chunks, () =>
        {
            long tokens = 0, idSum = 0;
            foreach (var c in chunks)
            {
                int n = tok.EncodeIds(c, buffer);
                tokens += n;
                foreach (var id in buffer.AsSpan(0, n)) idSum += id;
            }
            return (tokens, idSum);
        });
    }

    private static Row MeasureMicrosoft(string bpeJson, DnaTokenizer ours, List<string> chunks, int repeats)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(bpeJson));
        var model = doc.RootElement.GetProperty("model");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var merges = model.GetProperty("merges").EnumerateArray()
            .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!).ToList();
        var ms = BpeTokenizer.Create(new BpeOptions(vocab) { Merges = merges, UnknownToken = "[UNK]", PreTokenizer = PreTokenizer.CreateWordOrNonWord() });
        int[] prefix = ours.Special.Prefix, suffix = ours.Special.Suffix; // Microsoft's BPE has no template: add [CLS]/[SEP] the same way
        return Best("Microsoft.ML.Tokenizers BPE (same tokenizer.json)", repeats, chunks, () =>
        {
            long tokens = 0, idSum = 0;
            foreach (var c in chunks)
            {
                var ids = ms.EncodeToIds(c);
                tokens += ids.Count + prefix.Length + suffix.Length;
                foreach (var id in ids) idSum += id;
                idSum += prefix.Sum() + suffix.Sum();
            }
            return (tokens, idSum);
        });
    }

    private static Row Best(string name, int repeats, List<string> chunks, Func<(long Tokens, long IdSum)> work)
    {
        Row? best = null;
        long bases = chunks.Sum(c => (long)c.Length);
        for (int r = 0; r < repeats; r++)
        {
            GC.Collect();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var (tokens, idSum) = work();
            double wall = clock.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
            if (best is null || wall < best.WallS) best = new Row(name, wall, cpu, bases, tokens, idSum);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {bases / 1e6 / best!.WallS:F1} Mbp/s"));
        return best;
    }

    private static Row? MeasureHuggingFace(string bpeJson, List<string> chunks, string nodeModules, int repeats)
    {
        var script = Path.Combine(BenchmarkSupport.RepoRoot(), "benchmarks", "node", "hf_tokenize_bench.js");
        if (!Directory.Exists(Path.Combine(nodeModules, "tokenizers")))
        {
            Console.WriteLine($"  Hugging Face: skipped, no {nodeModules}/tokenizers (npm install --prefix DIR tokenizers@0.23.2; pass --node-modules DIR/node_modules)");
            return null;
        }
        var chunkFile = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(chunkFile, chunks);
            var psi = new ProcessStartInfo("node", [script, bpeJson, chunkFile, repeats.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.Environment["NODE_PATH"] = nodeModules;
            psi.Environment["RAYON_NUM_THREADS"] = "1";
            psi.Environment["TOKENIZERS_PARALLELISM"] = "false";
            Console.WriteLine($"  Hugging Face environment: {BenchmarkSupport.FairReferenceEnvironment(psi)}");
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"node failed ({p.ExitCode}): {stderr}");
            var r = JsonDocument.Parse(stdout).RootElement;
            var row = new Row("Hugging Face tokenizers 0.23.2 (Rust, npm; encodeBatch, RAYON_NUM_THREADS=1)",
                r.GetProperty("wall_s").GetDouble(), r.GetProperty("cpu_s").GetDouble(), r.GetProperty("bases").GetInt64(),
                r.GetProperty("tokens").GetInt64(), r.GetProperty("id_sum").GetInt64());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {row.Name}: {row.Bases / 1e6 / row.WallS:F1} Mbp/s"));
            return row;
        }
        finally
        {
            File.Delete(chunkFile);
        }
    }
}
