using System.Diagnostics;
using System.Globalization;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Tokenizers.Bpe;

namespace DnaFoundation.Benchmarks;

/// <summary>BPE training time and peak memory on a whole chromosome (target: chr20, 4,096 tokens, &lt; 10 min, &lt; 4 GB).</summary>
public sealed class TokenizerTrainBenchmark : IBenchmark
{
    public string Name => "tokenizer-train";

    public string Description => "BPE training wall/CPU time and peak memory (args: [--fasta F] [--vocab-size N] [--max-bases N])";

    public int Run(string[] args)
    {
        string Arg(string name, string fallback) => BenchmarkSupport.StringArg(args, name) ?? fallback;
        var shared = Environment.GetEnvironmentVariable("DNAFM_SHARED_DATA") ?? "../shared/data";
        var fasta = Arg("--fasta", Path.Combine(shared, "genomes/human/GRCh37_chr20.fa.gz"));
        var options = new BpeTrainerOptions
        {
            VocabSize = int.Parse(Arg("--vocab-size", "4096"), CultureInfo.InvariantCulture),
            MaxBases = long.Parse(Arg("--max-bases", "200000000"), CultureInfo.InvariantCulture),
        };
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var trainer = new BpeTrainer(options);
        using (var reader = FastaReader.Open(fasta))
        {
            var buf = new byte[1 << 20];
            while (reader.NextRecord() is { } rec)
            {
                int n;
                while ((n = reader.Read(buf)) > 0) trainer.Corpus.Add(buf.AsSpan(0, n), rec.Name, fasta);
                trainer.Corpus.EndSequence();
            }
        }
        double readS = clock.Elapsed.TotalSeconds;
        var result = trainer.Train();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| input | bp read | bp trained | vocab | merges | read s | total wall s | CPU s | peak RSS GiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n" +
            $"| {Path.GetFileName(fasta)} | {result.BasesRead:N0} | {result.BasesKept:N0} | {result.Tokenizer.VocabSize} | {result.Tokenizer.Merges.Count} | {readS:F1} | {wall:F1} | {cpu:F1} | {process.PeakWorkingSet64 / (double)(1L << 30):F2} |"));
        return 0;
    }
}
