using System.CommandLine;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// One <c>dnafm</c> command. Implementations are found by reflection (one class per file under Commands/), so adding
/// a command touches no shared file. <see cref="Path"/> places it in the tree: "info", "data faidx", "bench gue".
/// </summary>
public interface ICliCommand
{
    /// <summary>Words from the root, e.g. "tokenizer encode".</summary>
    string Path { get; }

    /// <summary>Builds the command: options, arguments and the action (use <see cref="CliAction.Run"/>).</summary>
    Command Build();
}
