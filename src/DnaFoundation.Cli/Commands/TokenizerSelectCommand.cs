using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Tokenizers.Bpe;
using DnaFoundation.Tokenizers.Selection;
using ScottPlot;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm tokenizer select</c>: GROVER-style choice of the BPE cycle, with a report table and plot.</summary>
public sealed class TokenizerSelectCommand : ICliCommand
{
    public string Path => "tokenizer select";

    public Command Build()
    {
        var inputs = new Option<string[]>("--input", "-i") { Description = "FASTA file(s), plain or gzip/bgzip (repeatable).", AllowMultipleArgumentsPerToken = true };
        var manifest = new Option<string?>("--manifest") { Description = "Genome manifest (data-manifests/*.json): train on each genome's training contigs." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where `dnafm data fetch` put the manifest's downloaded genomes." };
        var output = new Option<string>("--output", "-o") { Description = "Folder for tokenizer.json (the chosen cycle), selection.md, selection.tsv and selection.png.", Required = true };
        var cycles = new Option<string>("--cycles") { Description = "Cycles to score: a list (100,200,400) or a range start:end:step.", DefaultValueFactory = _ => "50:1000:50" };
        var nextK = new Option<int>("--next-k") { Description = "k of the next-k-mer prediction score.", DefaultValueFactory = _ => 4 };
        var criterion = new Option<SelectionCriterion>("--criterion") { Description = "NextKmer (GROVER's choice), Balance, or Product.", DefaultValueFactory = _ => SelectionCriterion.NextKmer };
        var set = CommonOptions.Set();
        var cmd = new Command("select", CommonOptions.WithExamples(
            "Run BPE merge cycles on FASTA, score each checkpointed cycle on held-out windows (token-frequency balance and an intrinsic next-k-mer " +
            "prediction accuracy, after GROVER), write the chosen cycle's tokenizer.json and a report (Markdown/TSV table, PNG plot). " +
            "--set takes trainer keys (max_bases, chunk_length, min_frequency, seed).",
            "dnafm tokenizer select -i GRCh37_chr20.fa.gz -o grover-chr20",
            "dnafm tokenizer select -i genome.fa.gz --cycles 100,200,400,600,800,1000 --next-k 3 -o sel"));
        foreach (var o in new Option[] { inputs, manifest, dataDir, output, cycles, nextK, criterion, set }) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var options = new SelectionOptions { Cycles = ParseCycles(parse.GetValue(cycles)!), NextK = parse.GetValue(nextK), Criterion = parse.GetValue(criterion) };
            ConfigLoader.Validate(options, "--next-k", "");
            var trainerOptions = TokenizerTrainCommand.LoadOptions(null, parse.GetValue(set), null);
            var run = new SelectionRun(options, trainerOptions);
            foreach (var (path, keep) in TokenizerInputs.TrainingSources(parse.GetValue(inputs), parse.GetValue(manifest), parse.GetValue(dataDir)))
                TokenizerInputs.StreamFasta(path, keep, (piece, name) => run.Add(piece, name, path), () => run.EndSequence(), ct);
            var (report, chosen, training) = run.Run(new ConsoleProgress(), ct);
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            chosen.Save(System.IO.Path.Combine(dir, "tokenizer.json"));
            Core.AtomicFile.WriteAllText(System.IO.Path.Combine(dir, "selection.tsv"), report.ToTsv());
            Core.AtomicFile.WriteAllText(System.IO.Path.Combine(dir, "selection.md"),
                $"# BPE cycle selection\n\nTrained on {training.BasesKept:N0} bp; next-{report.NextK}-mer counts from {report.TrainBases:N0} bp; " +
                $"scored on {report.HeldOutBases:N0} held-out bp. Criterion: {report.Criterion}. Chosen: cycle {report.Chosen.Cycle} " +
                $"({report.Chosen.VocabSize} tokens).\n\n{report.ToMarkdown()}\n![scores by cycle](selection.png)\n");
            Plot(report, System.IO.Path.Combine(dir, "selection.png"));
            Console.WriteLine($"chose cycle {report.Chosen.Cycle} ({report.Chosen.VocabSize} tokens); wrote {dir}/tokenizer.json, selection.md, selection.tsv, selection.png");
            return 0;
        });
        return cmd;
    }

    internal static int[] ParseCycles(string text)
    {
        try
        {
            var parts = text.Split(':');
            if (parts.Length == 3)
            {
                int start = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), end = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), step = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                if (start < 1 || end < start || step < 1) throw new FormatException();
                return [.. Enumerable.Range(0, (end - start) / step + 1).Select(i => start + i * step)];
            }
            var list = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            if (list.Length == 0 || list.Any(c => c < 1)) throw new FormatException();
            return list;
        }
        catch (FormatException)
        {
            throw new DnaInputException($"--cycles '{text}': expected positive numbers as a list (100,200,400) or start:end:step (50:1000:50)");
        }
        catch (OverflowException)
        {
            throw new DnaInputException($"--cycles '{text}': a number is too large");
        }
    }

    private static void Plot(SelectionReport report, string path)
    {
        var plot = new Plot();
        double[] xs = [.. report.Scores.Select(s => (double)s.Cycle)];
        var acc = plot.Add.Scatter(xs, [.. report.Scores.Select(s => s.NextKmerAccuracy)]);
        acc.LegendText = $"next-{report.NextK}-mer accuracy (held out)";
        var bal = plot.Add.Scatter(xs, [.. report.Scores.Select(s => s.Balance)]);
        bal.LegendText = "token frequency balance (normalized entropy)";
        bal.Axes.YAxis = plot.Axes.Right;
        var chosen = plot.Add.VerticalLine(report.Chosen.Cycle);
        chosen.LegendText = $"chosen: cycle {report.Chosen.Cycle}";
        chosen.LinePattern = LinePattern.Dashed;
        plot.Title("BPE vocabulary selection (GROVER-style)");
        plot.XLabel("BPE merge cycle");
        plot.YLabel("next-k-mer accuracy");
        plot.Axes.Right.Label.Text = "balance";
        plot.ShowLegend(Alignment.MiddleRight);
        var tmp = Core.AtomicFile.TempPathFor(path) + ".png";
        try
        {
            plot.SavePng(tmp, 900, 500);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            Core.AtomicFile.TryDelete(tmp);
        }
    }
}
