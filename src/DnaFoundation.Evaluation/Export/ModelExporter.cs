using DnaFoundation.Core;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Evaluation.Export;

/// <summary>
/// <c>dnafm model export DIR --format hf</c>: a model directory (ours or a published one) written back in its
/// family's published layout (<see cref="HfExport"/>) with the tokenizer files the family's transformers class reads:
/// those of the source directory copied as they are, the missing tokenizer_config.json / special_tokens_map.json
/// written for the tokenizer.
/// </summary>
public static class ModelExporter
{
    public static readonly string[] TokenizerFiles = ["tokenizer.json", "vocab.txt", HfTokenizerSettings.ConfigFile, HfTokenizerSettings.SpecialTokensFile];

    public sealed record Result(HfExport.Result Model, IReadOnlyList<string> TokenizerFiles, IReadOnlyList<string> Ignored);

    public static Result Export(string modelDir, string outDir)
    {
        if (Directory.Exists(outDir) && Path.GetFullPath(outDir) == Path.GetFullPath(modelDir))
            throw new DnaInputException("the output is the model directory itself; export writes a new directory", outDir);
        var (model, report) = ModelDirectory.Load(modelDir);
        HfExport.Result written;
        // A model fine-tuned here names its classes in task.json; transformers reads them from id2label.
        using (model)
            written = HfExport.Write(model, outDir, model.Heads.HasFlag(ModelHeads.Sequence) || model.Heads.HasFlag(ModelHeads.Token) ? ModelTask.Read(modelDir)?.Labels : null);
        var tokenizerFiles = CopyTokenizerFiles(modelDir, outDir);
        if (tokenizerFiles.Count > 0)
            tokenizerFiles.AddRange(HfTokenizerSettings.WriteFor(DnaTokenizers.Load(modelDir), outDir));
        return new Result(written, tokenizerFiles, report.Ignored);
    }

    /// <summary>Copies the tokenizer files <paramref name="sourceDir"/> has, byte for byte (temp + rename); returns the copies.</summary>
    public static List<string> CopyTokenizerFiles(string sourceDir, string targetDir)
    {
        var copied = new List<string>();
        foreach (var name in TokenizerFiles)
        {
            var source = Path.Combine(sourceDir, name);
            if (!File.Exists(source)) continue;
            var target = Path.Combine(targetDir, name);
            AtomicFile.Copy(source, target);
            copied.Add(target);
        }
        return copied;
    }
}
