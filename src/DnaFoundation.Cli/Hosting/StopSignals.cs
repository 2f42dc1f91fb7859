using System.Runtime.InteropServices;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM turn into a cancellation instead of ending the process, so a long command can finish
/// its current step and save (pretraining writes a checkpoint). System.CommandLine's own handler is not in place
/// while a synchronous command body runs, so the body registers this itself. A second signal ends the process as
/// usual, for a user who does not want to wait.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource cts;
    private readonly PosixSignalRegistration[] registrations;
    private readonly string message;
    private int received;

    /// <param name="outer">Cancellation from the caller (still honoured).</param>
    /// <param name="message">Printed on stderr at the first signal, e.g. what will be saved.</param>
    public StopSignals(CancellationToken outer, string message)
    {
        cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        this.message = message;
        registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    public CancellationToken Token => cts.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref received) > 1) return;   // the second one: default behaviour, the process ends
        context.Cancel = true;
        Console.Error.WriteLine($"{context.Signal}: {message} (send it again to quit at once)");
        cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        cts.Dispose();
    }
}
