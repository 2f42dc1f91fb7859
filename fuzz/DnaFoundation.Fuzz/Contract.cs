using DnaFoundation.Core;

namespace DnaFoundation.Fuzz;

/// <summary>What one input did: parsed, or a user-input error the CLI prints as one line with exit 2.</summary>
public sealed record Outcome(bool Parsed, string? Error)
{
    public override string ToString() => Parsed ? "ok" : $"error: {Error}";
}

/// <summary>
/// A bug by the house rules: an exception other than <see cref="DnaInputException"/> (the CLI's exit 1), or an input
/// error that is not one line naming the file. Thrown out of the harness so AFL records the input as a crash.
/// </summary>
public sealed class ContractViolation(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The house contract for every input: exit 0, or one line <c>error: FILE[:LINE|byte N]: ...</c> and exit 2.
/// In process that means: the parse returns, or throws a <see cref="DnaInputException"/> whose message is one line
/// and starts with the input's path or a folder holding it. Anything else propagates unchanged (its type and stack
/// are what a developer needs to fix it).
/// </summary>
public static class Contract
{
    public static Outcome Run(FuzzTarget target, byte[] input, FuzzContext context)
    {
        var path = context.Write(input, target.FileName);
        try
        {
            target.Parse(path, context);
            return new Outcome(true, null);
        }
        catch (DnaInputException e)
        {
            Check(e, path);
            return new Outcome(false, e.Message);
        }
        catch (AggregateException e) when (e.InnerException is DnaInputException inner && e.InnerExceptions.Count == 1)
        {
            throw new ContractViolation($"a DnaInputException wrapped in {e.GetType().Name} reaches the CLI as exit 1: {inner.Message}", e);
        }
    }

    /// <summary>Throws a <see cref="ContractViolation"/> unless the error is one line naming <paramref name="path"/> or its folder.</summary>
    public static void Check(DnaInputException e, string path)
    {
        var message = e.Message;
        if (message.Contains('\n') || message.Contains('\r'))
            throw new ContractViolation($"input error is not one line: {message}", e);
        var folder = Path.GetDirectoryName(path)!;
        if (e.File is null || !(e.File == path || path.StartsWith(e.File.TrimEnd('/') + "/", StringComparison.Ordinal) || e.File.StartsWith(folder, StringComparison.Ordinal)))
            throw new ContractViolation($"input error does not name the input file ({path}): {message}", e);
    }
}
