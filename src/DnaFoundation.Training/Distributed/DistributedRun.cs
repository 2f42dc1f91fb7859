using DnaFoundation.Core;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// Wraps the body of a command that may run on several ranks. An exception on one rank of a multi-rank world is
/// reported with the rank's number and ends every rank (<see cref="ICommunicator.AbortWorld"/>), instead of leaving
/// the others waiting in their next collective until the timeout. In a world of one the exception propagates as usual.
/// </summary>
public static class DistributedRun
{
    public const int InputErrorExitCode = 2;
    public const int FailureExitCode = 1;

    public static T Guard<T>(ICommunicator communicator, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (communicator.WorldSize > 1)
        {
            communicator.AbortWorld(Describe(e), e is DnaInputException ? InputErrorExitCode : FailureExitCode);
            throw;
        }
    }

    private static string Describe(Exception e) => e switch
    {
        DnaInputException or DistributedException => e.Message,
        OperationCanceledException => "cancelled",
        _ => $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}",
    };
}
