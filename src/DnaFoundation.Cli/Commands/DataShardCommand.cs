using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm data shard</c>: manifest → windows → (token ids) → Parquet shards with an index; resumable.</summary>
public sealed class DataShardCommand : ICliCommand
{
    public string Path => "data shard";

    public Command Build()
    {
        var manifest = new Option<string>("--manifest", "-m") { Description = "Genome manifest (data-manifests/*.json).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output folder (shards per split + index.json).", Required = true };
        var tokenizer = new Option<string?>("--tokenizer", "-t") { Description = "Store token ids made by this tokenizer (kmer:6, nt6, char, a tokenizer.json…); omit to store sequences." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where `dnafm data fetch` put the genomes of a URL manifest." };
        var length = new Option<int>("--window") { Description = "Window length in bases.", DefaultValueFactory = _ => 1000 };
        var stride = new Option<int>("--stride") { Description = "Stride in bases (0 = window length).", DefaultValueFactory = _ => 0 };
        var nRun = new Option<int>("--split-at-n-run") { Description = "N runs at least this long split a contig into segments windows never cross.", DefaultValueFactory = _ => 50 };
        var maxN = new Option<double>("--max-n-fraction") { Description = "Skip windows with more N than this.", DefaultValueFactory = _ => 0.1 };
        var rows = new Option<int>("--rows-per-shard") { Description = "Rows per shard file.", DefaultValueFactory = _ => 8192 };
        var rc = new Option<string>("--reverse-complement") { Description = "none | random (seeded coin per window) | both (both strands).", DefaultValueFactory = _ => "none" };
        var seed = new Option<ulong>("--seed") { Description = "Seed for species interleaving and RC coins.", DefaultValueFactory = _ => 0UL };
        var splits = new Option<string[]>("--split") { Description = "Splits to write (train, validation, test); default all." };
        var maxRows = new Option<long?>("--max-rows-per-split") { Description = "Stop each split after this many rows." };
        var compression = new Option<string>("--compression") { Description = "Parquet codec of the shards: snappy (pyarrow's default), zstd (smaller, slower to write), none (fastest, largest).", DefaultValueFactory = _ => "snappy" };
        var threads = CommonOptions.Threads();
        var cmd = new Command("shard", CommonOptions.WithExamples(
            "Cut a manifest's genomes into N-aware windows (contig-level splits, species-weighted interleaving), tokenize them, and write Parquet shards atomically with an index of row counts and sha256. Re-running skips finished shards.",
            "dnafm data shard --manifest data-manifests/local-shared.json --tokenizer nt6 --out shards/local",
            "dnafm data shard -m data-manifests/hg38.json --data-dir genomes/hg38 -t kmer:6 --window 512 --reverse-complement random -o shards/hg38"));
        foreach (var opt in new Option[] { manifest, output, tokenizer, dataDir, length, stride, nRun, maxN, rows, rc, seed, splits, maxRows, compression, threads }) cmd.Options.Add(opt);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var m = GenomeManifest.Load(parse.GetValue(manifest)!);
            var window = new WindowOptions(parse.GetValue(length), parse.GetValue(stride), parse.GetValue(nRun), parse.GetValue(maxN));
            DnaFoundation.Core.ConfigLoader.Validate(window, "command line", "--");
            var mode = parse.GetValue(rc) switch
            {
                "none" => ReverseComplementMode.None,
                "random" => ReverseComplementMode.Random,
                "both" => ReverseComplementMode.Both,
                var other => throw new DnaFoundation.Core.DnaInputException($"--reverse-complement '{other}': allowed values: none, random, both"),
            };
            var chosen = parse.GetValue(splits) is { Length: > 0 } s
                ? s.Select(x => Enum.TryParse<DataSplit>(x, ignoreCase: true, out var v) ? v : throw new DnaFoundation.Core.DnaInputException($"--split '{x}': allowed values: train, validation, test")).ToList()
                : null;
            var codec = parse.GetValue(compression) switch
            {
                "snappy" => ShardCompression.Snappy,
                "zstd" => ShardCompression.Zstd,
                "none" => ShardCompression.None,
                var other => throw new DnaFoundation.Core.DnaInputException($"--compression '{other}': allowed values: snappy, zstd, none"),
            };
            var options = new ShardBuildOptions(parse.GetValue(output)!, window, parse.GetValue(tokenizer), parse.GetValue(dataDir), parse.GetValue(rows),
                mode, parse.GetValue(seed), parse.GetValue(threads), chosen, parse.GetValue(maxRows), codec);
            var summary = new ShardBuilder(m, options).RunAsync(ct).GetAwaiter().GetResult();
            Console.WriteLine($"{summary.Rows} rows; {summary.Written} shards written, {summary.Skipped} already complete; index: {System.IO.Path.Combine(options.OutDir, ShardIndex.FileName)}");
            return 0;
        });
        return cmd;
    }
}
