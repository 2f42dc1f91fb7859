using System.CommandLine;
using System.Globalization;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation;
using DnaFoundation.Evaluation.Embeddings;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm embed</c>: pooled (and optionally per-base) embeddings of sequences, to Parquet.</summary>
public sealed class EmbedCommand : ICliCommand
{
    public string Path => "embed";

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Model directory (ours or a published Hugging Face one)." + ModelLocator.HubHelp, Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer (default: the model directory's)." };
        var input = new Option<string>("--input") { Description = "FASTA, or CSV/TSV with the sequence in the first column.", Required = true };
        var output = new Option<string>("--output") { Description = "FILE.parquet (or .tsv): id, layer, pooling, length, windows, embedding.", Required = true };
        var pooling = new Option<string>("--pooling") { Description = "mean (mask-aware, special tokens excluded) | max | cls.", DefaultValueFactory = _ => "mean" };
        var layers = new Option<string>("--layers") { Description = "Comma-separated hidden-state indices: 0 = embeddings, -1 = last layer.", DefaultValueFactory = _ => "-1" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per window (0 = the model's positions); longer sequences use sliding windows.", DefaultValueFactory = _ => 0 };
        var overlap = new Option<int>("--overlap") { Description = "Bases shared by consecutive windows.", DefaultValueFactory = _ => 64 };
        var perBase = new Option<string?>("--per-base") { Description = "Also write per-base vectors (mapped through token offsets) to this Parquet file." };
        var compute = new InferenceCommandOptions();
        var cmd = new Command("embed", CommonOptions.WithExamples(
            "Embed sequences: pooled vectors per chosen layer; sequences longer than a window are cut into overlapping windows (mean: token-weighted mean over windows; max: element-wise max; cls: mean of window CLS vectors). " +
            "Per-base vectors average every token covering the base.",
            "dnafm embed --model runs/chr20/final --input regions.fa --output regions.parquet",
            "dnafm embed --model runs/chr20/final --input long.fa --output long.parquet --pooling max --layers 1,-1 --max-tokens 256 --overlap 100 --per-base long.bases.parquet"));
        foreach (var o in (Option[])[model, tokenizer, input, output, pooling, layers, maxTokens, overlap, perBase, .. compute.All]) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var choice = compute.Device.Apply(parse);
            var pool = parse.GetValue(pooling) switch
            {
                "mean" => Pooling.Mean, "max" => Pooling.Max, "cls" => Pooling.Cls,
                var p => throw new DnaInputException($"--pooling '{p}': use mean, max or cls"),
            };
            var layerList = parse.GetValue(layers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : throw new DnaInputException($"--layers '{s}' is not an integer")).ToArray();
            var perBasePath = parse.GetValue(perBase);
            var options = new EmbedOptions(pool, layerList, parse.GetValue(maxTokens), parse.GetValue(overlap), perBasePath is not null);
            var (m, tok) = ModelSource.LoadEncoder(ModelLocator.Resolve(parse, model, ct), parse.GetValue(tokenizer), choice.Device);
            using var _m = m;
            var embedder = new Embedder(m, tok, choice.Device, compute.Inference(parse));
            var rows = new List<EmbeddingRow>();
            var bases = new List<BaseEmbeddingRow>();
            var inputs = EmbeddingIo.ReadInput(parse.GetValue(input)!);
            var progress = new InferenceProgress(new ConsoleProgress(Console.Error), "embed", null, "windows");
            foreach (var embeddings in embedder.EmbedAll(inputs, options, progress, ct))
            {
                foreach (var e in embeddings)
                {
                    rows.Add(new EmbeddingRow { Id = e.Id, Layer = e.Layer, Pooling = pool.ToString().ToLowerInvariant(), Length = e.Length, Windows = e.Windows, Embedding = e.Vector });
                    if (e.PerBase is { } pb)
                        for (int b = 0; b < e.Length; b++)
                            bases.Add(new BaseEmbeddingRow { Id = e.Id, Layer = e.Layer, Position = b, Embedding = pb.AsSpan(b * e.Vector.Length, e.Vector.Length).ToArray() });
                }
            }
            TableWriter.Write(parse.GetValue(output)!, rows);
            if (perBasePath is not null) TableWriter.Write(perBasePath, bases);
            Console.WriteLine(parse.GetValue(output));
            return 0;
        });
        return cmd;
    }
}
