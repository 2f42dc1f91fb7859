using System.CommandLine;
using System.Reflection;

namespace DnaFoundation.Cli.Hosting;

/// <summary>Builds the <c>dnafm</c> command tree from every <see cref="ICliCommand"/> in this assembly.</summary>
public static class CommandTree
{
    public static RootCommand Build()
    {
        var root = new RootCommand(CommonOptions.WithExamples(
            "DnaFoundation: pretrain, fine-tune, evaluate and serve DNA language models (DNABERT, DNABERT-2, Nucleotide Transformer, LOGO, GROVER).",
            "dnafm info", "dnafm <command> --help"));
        root.Options.Add(CommonOptions.Verbose);

        var commands = typeof(CommandTree).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Path, StringComparer.Ordinal);

        foreach (var c in commands)
        {
            var words = c.Path.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Command parent = root;
            foreach (var w in words[..^1])
            {
                var group = parent.Subcommands.FirstOrDefault(s => s.Name == w);
                if (group is null)
                {
                    group = new Command(w, CommandGroups.Descriptions.GetValueOrDefault(w, w));
                    parent.Subcommands.Add(group);
                }
                parent = group;
            }
            parent.Subcommands.Add(c.Build());
        }
        return root;
    }
}
