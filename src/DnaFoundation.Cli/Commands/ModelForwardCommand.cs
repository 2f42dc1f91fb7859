using System.CommandLine;
using System.Text.Json;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Commands;

/// <summary>
/// <c>dnafm model forward --model DIR --input X.jsonl --output Y.safetensors</c>: run a Hugging Face-style model
/// directory on token ids and write its outputs, to compare our numerics with any other implementation.
/// </summary>
public sealed class ModelForwardCommand : ICliCommand
{
    public string Path => "model forward";

    public Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model directory: config.json + weights (model.safetensors, pytorch_model.bin, or shards with their index)." + ModelLocator.HubHelp, Required = true };
        var input = new Option<string>("--input", "-i") { Description = "JSON lines, one object per sequence: {\"ids\": [...], \"attention_mask\": [...] (optional)}.", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "safetensors file to write: input_ids, attention_mask, last_hidden_state [batch, tokens, hidden] padded to the longest input, and logits when the model has an MLM head.", Required = true };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per forward pass.", DefaultValueFactory = _ => 8 };
        var compute = new DeviceOptions();
        var cmd = new Command("forward", CommonOptions.WithExamples(
            "Run a model directory on token ids (JSON lines) and write last_hidden_state (and MLM logits) as safetensors; padded positions are zero.",
            "dnafm model forward --model DNABERT-2-117M --input ids.jsonl --output out.safetensors"));
        foreach (var o in (Option[])[model, input, output, batch, .. compute.All]) cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var choice = compute.Apply(parse);
            int batchSize = parse.GetValue(batch);
            if (batchSize < 1) throw new DnaInputException($"--batch-size {batchSize}: must be at least 1");
            var (m, _) = ModelDirectory.Load(ModelLocator.Resolve(parse, model, ct), device: choice.Device);
            using var loaded = m;
            var sequences = ReadJsonl(parse.GetValue(input)!, m.Config.VocabSize);
            var runner = new InferenceRunner(m, choice.Device, new InferenceOptions { BatchSize = batchSize, SortWindow = Math.Max(batchSize, InferenceOptions.Default.SortWindow) });
            var tensors = PaddedOutputs.Collect(runner, sequences, new InferenceProgress(new ConsoleProgress(Console.Error), "forward", sequences.Count), ct);
            Safetensors.Save(parse.GetValue(output)!, tensors);
            Console.Error.WriteLine($"wrote {string.Join(", ", tensors.Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]"))} to {parse.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Reads {"ids": [...], "attention_mask": [...]} per line; errors name the line.</summary>
    public static List<TokenSequence> ReadJsonl(string path, int vocabSize)
    {
        if (!File.Exists(path)) throw new DnaInputException("input file not found", path);
        var result = new List<TokenSequence>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (!doc.RootElement.TryGetProperty("ids", out var idsEl) || idsEl.ValueKind != JsonValueKind.Array)
                    throw new DnaInputException("each line needs \"ids\": [token ids]", path, lineNo);
                var ids = idsEl.EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (ids.Length == 0) throw new DnaInputException("\"ids\" is empty", path, lineNo);
                if (ids.Any(i => i < 0 || i >= vocabSize))
                    throw new DnaInputException($"token id {ids.First(i => i < 0 || i >= vocabSize)} is outside the model's vocabulary (0..{vocabSize - 1})", path, lineNo);
                byte[]? mask = null;
                if (doc.RootElement.TryGetProperty("attention_mask", out var maskEl))
                {
                    var m = maskEl.EnumerateArray().Select(e => e.GetInt64()).ToArray();
                    if (m.Length != ids.Length)
                        throw new DnaInputException($"attention_mask has {m.Length} entries, ids has {ids.Length}", path, lineNo);
                    if (m.Any(v => v is not (0 or 1)))
                        throw new DnaInputException("attention_mask entries must be 0 or 1", path, lineNo);
                    mask = m.Select(v => (byte)v).ToArray();
                }
                result.Add(new TokenSequence(ids.Select(i => (int)i).ToArray(), mask));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new DnaInputException($"not a JSON object with integer arrays: {e.Message}", path, lineNo);
            }
        }
        if (result.Count == 0) throw new DnaInputException("no sequences in the input", path);
        return result;
    }
}
