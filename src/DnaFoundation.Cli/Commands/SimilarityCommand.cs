using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Evaluation;
using DnaFoundation.Evaluation.Embeddings;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm similarity</c>: cosine similarity between embedded sequences (e.g. human vs mouse).</summary>
public sealed class SimilarityCommand : ICliCommand
{
    public string Path => "similarity";

    public Command Build()
    {
        var a = new Option<string>("--embeddings") { Description = "Parquet from dnafm embed.", Required = true };
        var b = new Option<string?>("--against") { Description = "Second Parquet (e.g. another species); default: all pairs within --embeddings." };
        var output = new Option<string>("--output") { Description = "FILE.tsv or FILE.parquet: a, b, layer, cosine, rank (1 = nearest of a).", Required = true };
        var cmd = new Command("similarity", CommonOptions.WithExamples(
            "Cosine similarity of embeddings, layer by layer, with each sequence's candidates ranked (rank 1 = nearest).",
            "dnafm embed --model M --input human.fa --output human.parquet && dnafm embed --model M --input mouse.fa --output mouse.parquet",
            "dnafm similarity --embeddings human.parquet --against mouse.parquet --output human_vs_mouse.tsv"));
        foreach (var o in new Option[] { a, b, output }) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, _) =>
        {
            var first = EmbeddingIo.Read(parse.GetValue(a)!);
            var second = parse.GetValue(b) is string path ? EmbeddingIo.Read(path) : null;
            var rows = Similarity.Compute(first, second);
            TableWriter.Write(parse.GetValue(output)!, rows);
            Console.WriteLine(parse.GetValue(output));
            return 0;
        });
        return cmd;
    }
}
