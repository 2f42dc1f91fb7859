using System.CommandLine;
using DnaFoundation.Core;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// Runs a command body with the house rules: exit 0 on success; a user-input problem is one line on stderr and
/// exit 2; a run whose numbers went non-finite (NaN/inf: a diverged training) is one line and exit 3; anything else
/// is a bug: one line and exit 1, with the stack trace only under --verbose.
/// </summary>
public static class CliAction
{
    public const int InputError = 2;
    public const int InternalError = 1;
    public const int NumericalFailure = 3;

    /// <param name="recordsItself">The body writes its own run record (long runs that record from their start), so
    /// the generic one written at the end is not wanted.</param>
    public static void Run(Command command, Func<ParseResult, CancellationToken, int> body, bool recordsItself = false) =>
        command.SetAction((parse, token) => Task.FromResult(Execute(parse, token, body, recordsItself)));

    public static int Execute(ParseResult parse, CancellationToken token, Func<ParseResult, CancellationToken, int> body, bool recordsItself = false)
    {
        // One writer per output: a second command on the same output is refused before it touches anything. Under
        // mpirun the ranks of one job share the output, so rank 0 holds the lock for all of them.
        OutputLock? writer;
        try
        {
            bool holdsLocks = (Training.Distributed.MpiLaunch.FromEnvironment().WorldRank ?? 0) == 0;
            writer = holdsLocks && CommandRecord.OutputOf(parse) is string output ? OutputLock.Acquire(output, CommandRecord.CommandPath(parse)) : null;
        }
        catch (DnaInputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return InputError;
        }
        using var _ = writer;
        using var record = recordsItself ? null : CommandRecord.Begin(parse);
        var (code, error) = Guarded(parse, token, body);
        record?.Finish(code, error);
        return code;
    }

    private static (int Code, string? Error) Guarded(ParseResult parse, CancellationToken token, Func<ParseResult, CancellationToken, int> body)
    {
        bool verbose = parse.GetValue(CommonOptions.Verbose);
        try
        {
            return (body(parse, token), null);
        }
        catch (DnaInputException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return (InputError, e.Message);
        }
        catch (Training.Steps.NumericalFailureException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (verbose) Console.Error.WriteLine(e);
            return (NumericalFailure, e.Message);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return (130, "cancelled");
        }
        catch (Exception e)
        {
            var inner = e is TypeInitializationException && e.InnerException is not null ? e.InnerException : e;
            Console.Error.WriteLine($"error: {inner.GetType().Name}: {FirstLine(inner.Message)}");
            if (verbose) Console.Error.WriteLine(e);
            else Console.Error.WriteLine("(run with --verbose for details)");
            return (InternalError, $"{inner.GetType().Name}: {FirstLine(inner.Message)}");
        }
    }

    private static string FirstLine(string s)
    {
        int nl = s.IndexOf('\n');
        return nl < 0 ? s : s[..nl].TrimEnd('\r');
    }
}
