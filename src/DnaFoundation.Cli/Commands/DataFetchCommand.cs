using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Data.Genomes;

namespace DnaFoundation.Cli.Commands;

/// <summary>
/// <c>dnafm data fetch MANIFEST</c>: download a manifest's genomes with resume and checksum verification, then
/// recompress plain-gzip FASTA to BGZF (+ .fai, .gzi) for random access.
/// </summary>
public sealed class DataFetchCommand : ICliCommand
{
    public string Path => "data fetch";

    public Command Build()
    {
        var manifest = new Argument<string>("manifest") { Description = "Genome manifest (data-manifests/*.json)." };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the downloaded FASTA files.", DefaultValueFactory = _ => "genomes" };
        var noBgzip = new Option<bool>("--no-bgzip") { Description = "Keep plain-gzip downloads as published (no BGZF recompression; windows then need shards)." };
        var keepOriginal = new Option<bool>("--keep-original") { Description = "Keep the published file beside its BGZF recompression, as FILE.orig." };
        var threads = new Option<int>("--threads") { Description = "Threads compressing BGZF blocks (0 = all cores).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("fetch", CommonOptions.WithExamples(
            "Download every remote genome of a manifest (resuming FILE.part), verify its published checksum, and only then rename it into place; "
            + "a plain-gzip FASTA is then recompressed to BGZF in place with its .fai and .gzi (random access), recorded in FILE.fetch.json "
            + "so a re-run knows it is present and verified. Local genomes are verified.",
            "dnafm data fetch data-manifests/hg38.json --out genomes/hg38",
            "dnafm data fetch data-manifests/multi-species.json --out genomes/multi-species --threads 2 --keep-original"));
        cmd.Arguments.Add(manifest);
        foreach (var o in new Option[] { output, noBgzip, keepOriginal, threads }) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var m = GenomeManifest.Load(parse.GetValue(manifest)!);
            if (parse.GetValue(threads) < 0) throw new DnaFoundation.Core.DnaInputException($"--threads must be ≥ 0, got {parse.GetValue(threads)}");
            using var http = new HttpClient { Timeout = TimeSpan.FromHours(6) };
            var progress = new Progress<DnaFoundation.Core.ProgressInfo>();
            var options = new FetchOptions(Bgzip: !parse.GetValue(noBgzip), KeepOriginal: parse.GetValue(keepOriginal), Threads: parse.GetValue(threads));
            foreach (var r in new ManifestFetcher(http, progress, options).FetchAsync(m, parse.GetValue(output)!, ct).GetAwaiter().GetResult())
                Console.WriteLine($"{r.Status,-10} {r.Species,-36} {r.Path}" + (r.Note is null ? "" : $"  ({r.Note})"));
            return 0;
        });
        return cmd;
    }
}
