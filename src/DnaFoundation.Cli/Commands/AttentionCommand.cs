using System.CommandLine;
using System.Globalization;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Attention;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm attention</c>: per layer/head attention probabilities (JSON) and labelled PNG heatmaps.</summary>
public sealed class AttentionCommand : ICliCommand
{
    public string Path => "attention";

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model directory (ours or a published Hugging Face one)." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer (default: the model directory's)." };
        var sequence = new Option<string?>("--sequence") { Description = "One DNA sequence." };
        var input = new Option<string?>("--input") { Description = "FASTA or CSV/TSV of sequences (one output folder each)." };
        var output = new Option<string>("--output") { Description = "Folder: ID/attention.json (tokens, base offsets, layers × heads × T × T) and ID/layerLL_headHH.png.", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Truncate to this many tokens (heatmaps get unreadable past ~100).", DefaultValueFactory = _ => 128 };
        var layers = new Option<string?>("--layers") { Description = "Only these layers' PNGs (comma-separated, 0-based); the JSON always has all." };
        var heads = new Option<string?>("--heads") { Description = "Only these heads' PNGs (comma-separated, 0-based)." };
        var batchSize = CommonOptions.BatchSize();
        var compute = new DeviceOptions();
        var cmd = new Command("attention", CommonOptions.WithExamples(
            "Attention maps from the eager attention path: probabilities per layer and head to JSON, and PNG heatmaps labelled with tokens and their first base.",
            "dnafm attention --model runs/chr20/final --sequence TATAAAAGGCGCGCCATGCATG --output attn/",
            "dnafm attention --model runs/chr20/final --input promoters.fa --layers 1 --output attn/"));
        foreach (var o in (Option[])[model, tokenizer, sequence, input, output, maxTokens, layers, heads, batchSize, .. compute.All]) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var choice = compute.Apply(parse);
            var seqs = parse.GetValue(sequence) is string s ? new List<(string, string)> { ("sequence", s) }
                : parse.GetValue(input) is string f ? EmbeddingIo.ReadInput(f)
                : throw new DnaInputException("give --sequence or --input");
            var (m, tok) = ModelSource.LoadEncoder(ModelLocator.Resolve(parse, model, ct), parse.GetValue(tokenizer), choice.Device);
            using var _m = m;
            int b = parse.GetValue(batchSize);
            if (b < 1) throw new DnaInputException($"--batch-size {b}: must be at least 1");
            var runner = new InferenceRunner(m, choice.Device, InferenceOptions.Default with { BatchSize = b, SortWindow = Math.Max(b, 64) });
            foreach (var r in AttentionResult.ComputeAll(runner, tok, seqs, parse.GetValue(maxTokens), ct))
            {
                var id = r.Id;
                var dir = System.IO.Path.Combine(parse.GetValue(output)!, string.Concat(id.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_')));
                Directory.CreateDirectory(dir);
                r.WriteJson(System.IO.Path.Combine(dir, "attention.json"));
                var files = r.WriteHeatmaps(dir, Ints(parse.GetValue(layers)), Ints(parse.GetValue(heads)));
                Console.WriteLine($"{dir}: {r.Tokens.Length} tokens, {r.Layers.Length} layers × {r.Layers[0].Length} heads, {files.Count} PNG");
            }
            return 0;
        });
        return cmd;
    }

    private static int[]? Ints(string? list) => list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(x => int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new DnaInputException($"'{x}' is not a layer/head index")).ToArray();
}
