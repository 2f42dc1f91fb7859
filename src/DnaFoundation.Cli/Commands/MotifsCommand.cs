using System.CommandLine;
using System.Globalization;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Interpretation;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm motifs</c>: motif discovery from attention (DNABERT's method): MEME file, table, logos, BED of instances.</summary>
public sealed class MotifsCommand : ICliCommand
{
    public string Path => "motifs";

    public Command Build()
    {
        var d = new MotifOptions();
        var model = new Option<string>("--model") { Description = "Model directory (a fine-tuned classifier, usually: its attention is what is read)." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer (default: the model directory's)." };
        var input = new Option<string?>("--input") { Description = "Labelled CSV/TSV (sequence,label; GUE layout)." };
        var positiveLabel = new Option<int>("--positive-label") { Description = "The label of positives in --input; every other label is a negative.", DefaultValueFactory = _ => 1 };
        var positives = new Option<string?>("--positives") { Description = "BED of positive regions (with --negatives and --genome): instances get genome coordinates (motifs.bed)." };
        var negatives = new Option<string?>("--negatives") { Description = "BED of negative regions." };
        var genome = new Option<string?>("--genome") { Description = "Reference FASTA for the BED inputs." };
        var output = new Option<string>("--output") { Description = "Folder: motifs.meme (MEME v4), motifs.tsv, logos/motif_N.png, motifs.bed (BED inputs).", Required = true };
        var layer = new Option<int>("--layer") { Description = "Attention layer (0-based; -1 = last).", DefaultValueFactory = _ => -1 };
        var attention = new Option<string>("--attention") { Description = "cls (attention from the first token, DNABERT) or mean (mean attention received over all queries).", DefaultValueFactory = _ => "cls" };
        var maxLength = new Option<int?>("--max-length") { Description = "Tokens per sequence (default: task.json's, else the model's positions)." };
        var threshold = new Option<double>("--threshold") { Description = "High attention: above this multiple of the sequence's mean.", DefaultValueFactory = _ => d.Threshold };
        var minRegion = new Option<int>("--min-region") { Description = "Shortest high-attention region, in bases.", DefaultValueFactory = _ => d.MinRegion };
        var maxGap = new Option<int>("--max-gap") { Description = "Merge high-attention runs at most this many bases apart.", DefaultValueFactory = _ => d.MaxGap };
        var wordLength = new Option<int>("--word-length") { Description = "Candidate word (k-mer) length.", DefaultValueFactory = _ => d.WordLength };
        var minInstances = new Option<int>("--min-instances") { Description = "A candidate must occur in at least this many positives.", DefaultValueFactory = _ => d.MinInstances };
        var maxP = new Option<double>("--max-adjusted-p") { Description = "Benjamini-Hochberg adjusted p-value a candidate must reach.", DefaultValueFactory = _ => d.MaxAdjustedP };
        var maxMotifs = new Option<int>("--max-motifs") { Description = "Most motifs reported.", DefaultValueFactory = _ => d.MaxMotifs };
        var strands = new Option<string>("--strands")
        {
            Description = "forward, both (a word and its reverse complement are one candidate; minus-strand instances read reverse-complemented) or auto " +
                          "(both for BED regions, which have no orientation; forward for sequences given in --input, oriented as given).",
            DefaultValueFactory = _ => d.Strands.ToString().ToLowerInvariant(),
        };
        var compute = new InferenceCommandOptions();
        var cmd = new Command("motifs", CommonOptions.WithExamples(
            "Motif discovery from attention, after DNABERT's motif analysis: base-level attention of positives (one layer, heads averaged, spread over the bases " +
            "each token covers), high-attention regions (above --threshold x the sequence mean, at least --min-region bases), candidate words from them, " +
            "hypergeometric enrichment in positives over negatives with Benjamini-Hochberg correction, similar words merged by alignment, PWMs from the instances. " +
            "Attention shows what the model looks at, not what causes its prediction: see docs/interpretation.md.",
            "dnafm motifs --model runs/ft-tata/final --input ../shared/data/gue/prom/prom_core_tata/test.csv --output motifs/",
            "dnafm motifs --model runs/ft/final --positives peaks.bed --negatives background.bed --genome GRCh37_chr20.fa.gz --output motifs/"));
        foreach (var o in (Option[])[model, tokenizer, input, positiveLabel, positives, negatives, genome, output, layer, attention, maxLength, threshold, minRegion, maxGap, wordLength, minInstances, maxP, maxMotifs, strands, .. compute.All])
            cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            var choice = compute.Device.Apply(parse);
            var source = parse.GetValue(attention) switch
            {
                "cls" => AttentionSource.Cls,
                "mean" => AttentionSource.Mean,
                var s => throw new DnaInputException($"--attention '{s}': expected cls or mean"),
            };
            var searched = parse.GetValue(strands) switch
            {
                "auto" => MotifStrands.Auto,
                "forward" => MotifStrands.Forward,
                "both" => MotifStrands.Both,
                var s => throw new DnaInputException($"--strands '{s}': expected auto, forward or both"),
            };
            if (parse.GetValue(maxLength) is < 3) throw new DnaInputException($"--max-length {parse.GetValue(maxLength)}: must be at least 3");
            var options = new MotifOptions
            {
                Threshold = parse.GetValue(threshold), MinRegion = parse.GetValue(minRegion), MaxGap = parse.GetValue(maxGap),
                WordLength = parse.GetValue(wordLength), MinInstances = parse.GetValue(minInstances), MaxAdjustedP = parse.GetValue(maxP), MaxMotifs = parse.GetValue(maxMotifs),
                Strands = searched,
            };
            var req = new MotifsRequest
            {
                Model = ModelLocator.Resolve(parse, model, cancel), Tokenizer = parse.GetValue(tokenizer), Input = parse.GetValue(input), PositiveLabel = parse.GetValue(positiveLabel),
                Positives = parse.GetValue(positives), Negatives = parse.GetValue(negatives), Genome = parse.GetValue(genome), Output = parse.GetValue(output)!,
                Layer = parse.GetValue(layer), Source = source, MaxLength = parse.GetValue(maxLength), Options = options,
                Inference = compute.Inference(parse),
            };
            using var stop = new StopSignals(cancel, "stopping; no output is written");
            var summary = new MotifsJob(choice.Device).Run(req, stop.Token);
            var r = summary.Report;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Positives:N0} positives, {r.Negatives:N0} negatives: {r.Regions:N0} high-attention regions, {r.CandidatesTested:N0} candidate words tested, {r.CandidatesEnriched:N0} enriched, {r.Motifs.Count} motif(s), {(r.Strands == MotifStrands.Both ? "both strands" : "forward strand")}"));
            foreach (var m in r.Motifs.Take(5))
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {m.Id} {m.Consensus}: {m.PositivesWith} positives / {m.NegativesWith} negatives, adjusted p {m.AdjustedP:0.##e+00}"));
            foreach (var f in summary.Files) Console.WriteLine(f);
            return 0;
        });
        return cmd;
    }
}
