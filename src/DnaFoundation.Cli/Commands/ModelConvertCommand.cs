using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Model.Checkpoints;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm model convert SRC [--output DIR]</c>: PyTorch pickle <c>pytorch_model.bin</c> → <c>model.safetensors</c>.</summary>
public sealed class ModelConvertCommand : ICliCommand
{
    public string Path => "model convert";

    public Command Build()
    {
        var source = new Argument<string>("source") { Description = "A Hugging Face model directory with pytorch_model.bin and config.json, or the .bin file." };
        var output = new Option<string?>("--output", "-o") { Description = "Directory to write model.safetensors (and config.json) to; default: beside the source." };
        var cmd = new Command("convert", CommonOptions.WithExamples(
            "Convert a PyTorch pickle checkpoint (torch.save zip; DNABERT-2-117M and GROVER are published only so) to model.safetensors. " +
            "The pickle is read, never executed; the weights are checked against config.json's architecture with strict key rules first.",
            "dnafm model convert DNABERT-2-117M", "dnafm model convert GROVER/pytorch_model.bin --output grover-st"));
        cmd.Arguments.Add(source);
        cmd.Options.Add(output);
        CliAction.Run(cmd, (parse, _) =>
        {
            var r = ModelConversion.Convert(parse.GetValue(source)!, parse.GetValue(output));
            Console.WriteLine($"wrote {r.WeightsPath}: {r.Tensors} tensors; every weight of the config.json architecture present with the right shape");
            foreach (var i in r.Check.Ignored) Console.WriteLine($"  kept but unused by this architecture: {i}");
            return 0;
        });
        return cmd;
    }
}
