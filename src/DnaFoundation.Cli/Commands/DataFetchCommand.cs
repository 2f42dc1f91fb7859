using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Data.Genomes;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm data fetch MANIFEST</c>: download a manifest's genomes with resume and checksum verification.</summary>
public sealed class DataFetchCommand : ICliCommand
{
    public string Path => "data fetch";

    public Command Build()
    {
        var manifest = new Argument<string>("manifest") { Description = "Genome manifest (data-manifests/*.json)." };
        var output = new Option<string>("--out", "-o") { Description = "Folder for the downloaded FASTA files.", DefaultValueFactory = _ => "genomes" };
        var cmd = new Command("fetch", CommonOptions.WithExamples(
            "Download every remote genome of a manifest (resuming FILE.part), verify its published checksum, and only then rename it into place; local genomes are verified.",
            "dnafm data fetch data-manifests/hg38.json --out genomes/hg38"));
        cmd.Arguments.Add(manifest);
        cmd.Options.Add(output);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var m = GenomeManifest.Load(parse.GetValue(manifest)!);
            using var http = new HttpClient { Timeout = TimeSpan.FromHours(6) };
            var progress = new Progress<DnaFoundation.Core.ProgressInfo>();
            foreach (var r in new ManifestFetcher(http, progress).FetchAsync(m, parse.GetValue(output)!, ct).GetAwaiter().GetResult())
                Console.WriteLine($"{r.Status,-10} {r.Species,-36} {r.Path}");
            return 0;
        });
        return cmd;
    }
}
