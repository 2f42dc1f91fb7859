using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Cli.Commands;

/// <summary>
/// <c>dnafm data bgzip FILE [-o OUT]</c>: recompress a plain or gzip FASTA to BGZF and write its .fai and .gzi,
/// what users otherwise do with <c>gzip -dc | bgzip</c> then <c>samtools faidx</c>.
/// </summary>
public sealed class DataBgzipCommand : ICliCommand
{
    public string Path => "data bgzip";

    public Command Build()
    {
        var file = new Argument<string>("file") { Description = "FASTA file: plain (.fa) or gzip (.fa.gz)." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the BGZF (default: FILE itself when it ends in .gz, replaced in place; else FILE.gz)." };
        var threads = new Option<int>("--threads") { Description = "Threads compressing blocks (0 = all cores).", DefaultValueFactory = _ => 0 };
        var level = new Option<int>("--level", "-l") { Description = "Compression level 0-9 (6 = bgzip's default; 0 stores).", DefaultValueFactory = _ => 6 };
        var cmd = new Command("bgzip", CommonOptions.WithExamples(
            "Recompress a plain or gzip FASTA to BGZF (bgzip's format: gzip-compatible, with random access) and write OUT.fai and OUT.gzi "
            + "as samtools faidx does. The FASTA is validated while it is compressed; the output is written under a temp name and renamed "
            + "only when whole. A file that is already BGZF is left as it is.",
            "dnafm data bgzip genomes/hg38/hg38.fa.gz --threads 2",
            "dnafm data bgzip genome.fa -o genome.fa.gz"));
        cmd.Arguments.Add(file);
        foreach (var o in new Option[] { output, threads, level }) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, _) =>
        {
            var input = parse.GetValue(file)!;
            int n = parse.GetValue(threads), l = parse.GetValue(level);
            if (n < 0) throw new DnaInputException($"--threads must be ≥ 0, got {n}");
            if (l is < 0 or > 9) throw new DnaInputException($"--level must be 0-9, got {l}");
            if (SequenceInput.Detect(input) == FastaCompression.Bgzf)
            {
                Console.WriteLine($"{input} is already BGZF (bgzip); nothing to do (`dnafm data faidx {input}` writes its .fai/.gzi if missing)");
                return 0;
            }
            var target = parse.GetValue(output) ?? (input.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? input : input + ".gz");
            var r = Bgzip.Convert(input, target, n, l, progress: new ConsoleProgress());
            Console.WriteLine($"bgzip  {target}  ({r.Fai.Entries.Count} records, {r.UncompressedBytes:N0} bytes of FASTA, {r.InputBytes:N0} → {r.OutputBytes:N0} bytes; {target}.fai and {target}.gzi written)");
            return 0;
        });
        return cmd;
    }
}
