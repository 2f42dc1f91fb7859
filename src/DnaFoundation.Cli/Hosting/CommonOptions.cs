using System.CommandLine;

namespace DnaFoundation.Cli.Hosting;

/// <summary>Options shared by many commands; each command adds the ones it uses.</summary>
public static class CommonOptions
{
    /// <summary>Recursive: valid on every command. Shows stack traces for unexpected errors and debug logs.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show debug logs and the stack trace of unexpected errors.",
        Recursive = true,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "Where tensors live: auto (CUDA when available), cpu, cuda, cuda:N.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads for torch (0 = all cores).",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string[]> Set() => new("--set")
    {
        Description = "Override a config key: --set key=value (repeatable; dotted keys for nested values).",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Appends an "Examples:" block to a description, shown by --help.</summary>
    public static string WithExamples(string description, params string[] examples) =>
        description + Environment.NewLine + Environment.NewLine + "Examples:" + Environment.NewLine +
        string.Join(Environment.NewLine, examples.Select(e => "  " + e));
}
