using System.CommandLine;
using System.Globalization;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm predict</c>: apply a fine-tuned model to sequences, BED regions or genome tiles; tables, bedGraph tracks, BED.</summary>
public sealed class PredictCommand : ICliCommand
{
    public string Path => "predict";

    public Command Build()
    {
        var defaults = new PredictRequest { Model = "", Outputs = [] };
        var model = new Option<string>("--model") { Description = "Fine-tuned model directory (dnafm finetune's OUTPUT/final: weights, tokenizer, task.json)." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer (default: the model directory's)." };
        var input = new Option<string?>("--input") { Description = "Sequences: CSV/TSV (a 'sequence' column, else the first; ids from an 'id'/'name' column, else FILE:LINE), FASTA or FASTA.gz." };
        var regions = new Option<string?>("--regions") { Description = "BED of regions to predict on (with --genome); ids from the name column." };
        var genome = new Option<string?>("--genome") { Description = "Reference FASTA (plain or bgzip; .fai/.gzi built when missing) for --regions, --tile, --genome-wide." };
        var tile = new Option<string[]>("--tile") { Description = "Region to tile, CHR:START-END (1-based inclusive, samtools syntax); repeatable.", AllowMultipleArgumentsPerToken = false };
        var genomeWide = new Option<bool>("--genome-wide") { Description = "Tile every contig of --genome." };
        var window = new Option<int>("--window") { Description = "Tile width in bp.", DefaultValueFactory = _ => defaults.Tiling.WindowBp };
        var stride = new Option<int>("--stride") { Description = "Bases between tile starts (0 = the window: no overlap).", DefaultValueFactory = _ => defaults.Tiling.StrideBp };
        var output = new Option<string[]>("--output") { Description = "Output file(s), format by extension: .tsv/.parquet (one row per input), .bedgraph (tracks), .bed (positive intervals); repeatable.", Required = true, AllowMultipleArgumentsPerToken = false };
        var rcAverage = new Option<bool>("--rc-average") { Description = "Average forward and reverse-complement predictions." };
        var threshold = new Option<double>("--threshold") { Description = "Multi-label: a label is called at this probability.", DefaultValueFactory = _ => defaults.Options.Threshold };
        var maxLength = new Option<int?>("--max-length") { Description = "Tokens per input (default: what the model was fine-tuned with, from task.json)." };
        var compute = new InferenceCommandOptions();
        var cmd = new Command("predict", CommonOptions.WithExamples(
            "Apply a fine-tuned model (single-label, multi-label or per-token region head) to sequences (--input), BED regions (--regions --genome) " +
            "or genome tiles (--tile / --genome-wide with --window/--stride). Tiles start at each region's start every stride; when the last one stops " +
            "short of the region's (or contig's) end, one more is placed flush with the end, so every base is covered and nothing is padded; tiles of N only are " +
            "skipped and counted. Outputs by extension: a table (.tsv/.parquet: chrom/start/end or id, prob_LABEL per class/label, predicted), " +
            "bedGraph tracks (.bedgraph: the positive class of a binary model at that path, else OUT.LABEL.bedgraph per class; a base's value is the mean " +
            "over the windows or tokens covering it), or BED of predicted positive intervals (.bed). Streaming; outputs appear only when the run completes.",
            "dnafm predict --model runs/ft/final --input candidates.fa --output candidates.tsv",
            "dnafm predict --model runs/ft/final --regions peaks.bed --genome GRCh37_chr20.fa.gz --output peaks.parquet",
            "dnafm predict --model runs/ft/final --tile 20:10000001-10020000 --genome samples/genome/GRCh37_chr20_sample.fa.gz --window 70 --stride 35 --output track.bedgraph --output promoters.bed",
            "dnafm predict --model runs/ft/final --genome-wide --genome GRCh37_chr20.fa.gz --window 70 --rc-average --output chr20.bedgraph"));
        foreach (var o in (Option[])[model, tokenizer, input, regions, genome, tile, genomeWide, window, stride, output, rcAverage, threshold, maxLength, .. compute.All])
            cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            var choice = compute.Device.Apply(parse);
            if (parse.GetValue(window) < 1) throw new DnaInputException($"--window {parse.GetValue(window)}: must be at least 1 bp");
            if (parse.GetValue(stride) < 0) throw new DnaInputException($"--stride {parse.GetValue(stride)}: must be 0 (= the window) or positive");
            if (parse.GetValue(threshold) is < 0 or > 1) throw new DnaInputException($"--threshold {parse.GetValue(threshold)}: must be between 0 and 1");
            if (parse.GetValue(maxLength) is < 3) throw new DnaInputException($"--max-length {parse.GetValue(maxLength)}: must be at least 3");
            var req = new PredictRequest
            {
                Model = ModelLocator.Resolve(parse, model, cancel), Tokenizer = parse.GetValue(tokenizer),
                Input = parse.GetValue(input), Regions = parse.GetValue(regions), Genome = parse.GetValue(genome),
                Tiles = parse.GetValue(tile) ?? [], GenomeWide = parse.GetValue(genomeWide),
                Tiling = new TilingOptions { WindowBp = parse.GetValue(window), StrideBp = parse.GetValue(stride) },
                Outputs = parse.GetValue(output) ?? [],
                Options = new PredictOptions
                {
                    Inference = compute.Inference(parse), RcAverage = parse.GetValue(rcAverage),
                    Threshold = parse.GetValue(threshold), MaxLength = parse.GetValue(maxLength),
                },
            };
            using var stop = new StopSignals(cancel, "stopping; no output is written");
            var summary = new PredictJob(choice.Device, new ConsoleProgress(Console.Error)).Run(req, stop.Token);
            var skipped = summary.SkippedAllN > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {summary.SkippedAllN:N0} tile(s) of N only skipped") : "";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"predicted {summary.Predicted:N0} input(s) with a {summary.Task.TaskName} head ({summary.Task.Labels.Length} label(s), max length {summary.Task.MaxLength} tokens){skipped}"));
            if (summary.Truncated > 0)
                Console.Error.WriteLine($"warning: {summary.Truncated:N0} input(s) were longer than {summary.Task.MaxLength} tokens and were cut: only their first bases were scored (use a smaller --window, or --max-length)");
            foreach (var f in summary.Files) Console.WriteLine(f);
            return 0;
        });
        return cmd;
    }
}
