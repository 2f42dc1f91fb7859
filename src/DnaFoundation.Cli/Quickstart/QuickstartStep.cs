namespace DnaFoundation.Cli.Quickstart;

/// <summary>One step of the quick start: a normal <c>dnafm</c> command line, run in-process, timed.</summary>
public sealed record QuickstartStep(string Name, string[] Args)
{
    public string CommandLine => "dnafm " + string.Join(' ', Args.Select(Quote));

    public TimeSpan Elapsed { get; set; }

    public int ExitCode { get; set; } = -1;

    private static string Quote(string a) => a.Length == 0 || a.Any(ch => char.IsWhiteSpace(ch) || ch is '"' or '\'') ? $"'{a}'" : a;
}
