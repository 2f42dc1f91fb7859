using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Export;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm model export DIR --format hf --output OUT</c>: a model in its family's published Hugging Face layout.</summary>
public sealed class ModelExportCommand : ICliCommand
{
    public string Path => "model export";

    public Command Build()
    {
        var source = new Argument<string>("model") { Description = "Model directory (ours, e.g. a finetune's final/, or a published one)." + ModelLocator.HubHelp };
        var format = new Option<string>("--format") { Description = "hf: the family's Hugging Face layout (config keys, parameter names, tokenizer files).", DefaultValueFactory = _ => "hf" };
        var output = new Option<string>("--output", "-o") { Description = "Directory to write (created).", Required = true };
        var cmd = new Command("export", CommonOptions.WithExamples(
            "Write a model the way its family publishes it, so PyTorch users load it with the family's own transformers code: "
            + "DNABERT (BertForMaskedLM), DNABERT-2/-S (MosaicBERT remote code), Nucleotide Transformer v1/v2 (ESM), GROVER, GENA-LM. "
            + "The config.json of a published model is written back with its own keys; weights go to model.safetensors in the family's "
            + "key names and stored dtype; the tokenizer files are copied or written.",
            "dnafm model export runs/dnabert2-promoters/final --format hf --output dnabert2-promoters-hf",
            "dnafm model export zhihan1996/DNA_bert_6 --output dna_bert_6-safetensors"));
        cmd.Arguments.Add(source);
        cmd.Options.Add(format);
        cmd.Options.Add(output);
        CliAction.Run(cmd, (parse, ct) =>
        {
            if (parse.GetValue(format) != "hf")
                throw new DnaInputException($"--format '{parse.GetValue(format)}' is not supported; the only format is 'hf' (the family's Hugging Face layout)");
            var dir = ModelLocator.Resolve(parse.GetValue(source)!, ct);
            var r = ModelExporter.Export(dir, parse.GetValue(output)!);
            Console.WriteLine($"wrote {r.Model.WeightsPath}: {r.Model.Tensors} tensors in the {r.Model.Family} layout");
            Console.WriteLine($"wrote {r.Model.ConfigPath}");
            foreach (var t in r.TokenizerFiles) Console.WriteLine($"wrote {t}");
            return 0;
        });
        return cmd;
    }
}
