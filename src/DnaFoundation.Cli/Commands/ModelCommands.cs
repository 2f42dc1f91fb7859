using DnaFoundation.Core;
using DnaFoundation.Model;

namespace DnaFoundation.Cli.Commands;

/// <summary>Option parsing shared by the <c>dnafm model …</c> commands.</summary>
internal static class ModelCommands
{
    public static ModelHeads? ParseHeads(string? value) => value switch
    {
        null => null,
        "none" => ModelHeads.None,
        "mlm" => ModelHeads.MaskedLm,
        "sequence" => ModelHeads.Sequence,
        "token" => ModelHeads.Token,
        "multitask" => ModelHeads.MultiTask,
        _ => throw new DnaInputException($"--heads '{value}' is not allowed; allowed values: none, mlm, sequence, token, multitask"),
    };
}
