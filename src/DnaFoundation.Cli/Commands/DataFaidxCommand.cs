using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm data faidx FILE [REGION...]</c>: index a FASTA and print regions, as <c>samtools faidx</c>.</summary>
public sealed class DataFaidxCommand : ICliCommand
{
    public string Path => "data faidx";

    public Command Build()
    {
        var file = new Argument<string>("file") { Description = "FASTA file: plain or bgzip-compressed (.fa, .fa.gz)." };
        var regions = new Argument<string[]>("region") { Description = "name, name:start-end or name:start (1-based, inclusive); {name}:start-end when the name has a ':'.", Arity = ArgumentArity.ZeroOrMore };
        var width = new Option<int>("--length", "-n") { Description = "Bases per output line.", DefaultValueFactory = _ => 60 };
        var cmd = new Command("faidx", CommonOptions.WithExamples(
            "Write FILE.fai (and FILE.gzi for bgzip) when absent, byte-compatible with samtools faidx, then print each region as FASTA named by the region.",
            "dnafm data faidx GRCh37_chr20.fa.gz", "dnafm data faidx GRCh37_chr20.fa.gz 20:1000000-1000100 20:2,000,000-2,000,050"));
        cmd.Arguments.Add(file);
        cmd.Arguments.Add(regions);
        cmd.Options.Add(width);
        CliAction.Run(cmd, (parse, _) =>
        {
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            Faidx.Run(parse.GetValue(file)!, parse.GetValue(regions) ?? [], stdout, Console.Error, parse.GetValue(width));
            return 0;
        });
        return cmd;
    }
}
