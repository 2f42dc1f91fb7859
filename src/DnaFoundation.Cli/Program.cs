using System.CommandLine;
using DnaFoundation.Cli.Hosting;

namespace DnaFoundation.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = CommandTree.Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Run 'dnafm --help' for the commands and their options.");
            return CliAction.InputError;
        }
        return parse.Invoke();
    }
}
