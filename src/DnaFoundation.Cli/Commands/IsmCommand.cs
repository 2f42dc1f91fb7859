using System.CommandLine;
using System.Globalization;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Interpretation;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm ism</c>: in-silico saturation mutagenesis of sequences or BED regions: a TSV of Δ, a heatmap and an importance logo per input.</summary>
public sealed class IsmCommand : ICliCommand
{
    public string Path => "ism";

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "A fine-tuned classifier (dnafm finetune's OUTPUT/final, with task.json) or a pretrained MLM directory." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer (default: the model directory's)." };
        var sequence = new Option<string?>("--sequence") { Description = "One DNA sequence (reported as 'sequence')." };
        var input = new Option<string?>("--input") { Description = "Sequences: FASTA/FASTA.gz or CSV/TSV (a 'sequence' column, ids from 'id'/'name')." };
        var regions = new Option<string?>("--regions") { Description = "BED of regions (with --genome): rows carry chrom and genome_position." };
        var genome = new Option<string?>("--genome") { Description = "Reference FASTA for --regions." };
        var output = new Option<string>("--output") { Description = "Folder: ism.tsv, ID.heatmap.png, ID.logo.png.", Required = true };
        var score = new Option<string>("--score") { Description = "auto (classifier head → probability, else MLM → llr), probability, log-odds, llr.", DefaultValueFactory = _ => "auto" };
        var cls = new Option<string?>("--class") { Description = "Classifier: the class (label name or index) scored; default class 1 of a two-class model." };
        var rcAverage = new Option<bool>("--rc-average") { Description = "Classifier: average forward and reverse-complement predictions (LLRs always use both strands)." };
        var noPlots = new Option<bool>("--no-plots") { Description = "Write only ism.tsv." };
        var compute = new InferenceCommandOptions();
        var cmd = new Command("ism", CommonOptions.WithExamples(
            "In-silico saturation mutagenesis: every A/C/G/T position × its three other bases, batched (a classifier's mutants go through the predict path; " +
            "an MLM's masked passes are shared by the three alts of a position). Δ = P(class | mutant) − P(class | reference) (or the log-odds Δ) for " +
            "fine-tuned classifiers; log P(alt) − log P(ref) with the position masked, mean of both strands, for MLMs (as score-variants). " +
            "Outputs ism.tsv (sequence_id, position 1-based, ref, alt, delta; chrom and genome_position for --regions), a heatmap (positions × bases) and " +
            "an importance logo (the reference base scaled by −mean Δ) per input. Inputs must fit the model's max length; all are checked before anything is written.",
            "dnafm ism --model runs/ft/final --sequence TATAAAAGGCGCGCCATGCATGCC --output ism/",
            "dnafm ism --model runs/ft/final --regions promoters.bed --genome GRCh37_chr20.fa.gz --output ism/",
            "dnafm ism --model runs/chr20/final --input candidates.fa --score llr --output ism-llr/"));
        foreach (var o in (Option[])[model, tokenizer, sequence, input, regions, genome, output, score, cls, rcAverage, noPlots, .. compute.All])
            cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            var choice = compute.Device.Apply(parse);
            var mode = parse.GetValue(score) switch
            {
                "auto" => IsmMode.Auto,
                "probability" => IsmMode.Probability,
                "log-odds" => IsmMode.LogOdds,
                "llr" => IsmMode.Llr,
                var s => throw new DnaInputException($"--score '{s}': expected auto, probability, log-odds or llr"),
            };
            var req = new IsmRequest
            {
                Model = ModelLocator.Resolve(parse, model, cancel), Tokenizer = parse.GetValue(tokenizer), Sequence = parse.GetValue(sequence),
                Input = parse.GetValue(input), Regions = parse.GetValue(regions), Genome = parse.GetValue(genome),
                Output = parse.GetValue(output)!, Mode = mode, Class = parse.GetValue(cls), RcAverage = parse.GetValue(rcAverage),
                Inference = compute.Inference(parse), Plots = !parse.GetValue(noPlots),
            };
            using var stop = new StopSignals(cancel, "stopping; no output is written");
            var summary = new IsmJob(choice.Device).Run(req, stop.Token);
            var what = summary.Score switch
            {
                IsmScore.Probability => $"Δ P({summary.ClassLabel})",
                IsmScore.LogOdds => $"Δ log-odds({summary.ClassLabel})",
                _ => "Δ masked-marginal log-likelihood (both strands)",
            };
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scanned {summary.Inputs:N0} input(s), {summary.Variants:N0} substitution(s): {what}"));
            foreach (var f in summary.Files) Console.WriteLine(f);
            return 0;
        });
        return cmd;
    }
}
