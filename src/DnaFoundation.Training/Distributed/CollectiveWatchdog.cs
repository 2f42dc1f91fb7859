using System.Diagnostics;

namespace DnaFoundation.Training.Distributed;

/// <summary>
/// Turns "a rank died or hangs, so everyone else waits forever inside a blocking collective" into a clear error.
/// The calling thread marks the start and end of each collective; a background thread checks the clock and,
/// once a collective has run longer than the timeout, calls <c>onTimeout</c> with a message (which aborts the job).
/// A rank that crashes is normally caught earlier by the launcher (<c>mpirun</c> kills the job when a rank exits
/// without <c>MPI_Finalize</c>); this covers ranks that are alive but stuck, and launchers that do not notice.
/// </summary>
internal sealed class CollectiveWatchdog : IDisposable
{
    private readonly TimeSpan timeout;
    private readonly Action<string> onTimeout;
    private readonly ManualResetEventSlim stop = new();
    private readonly Thread thread;
    private long started; // Stopwatch timestamp of the running collective; 0 when none runs
    private string what = "";
    private int fired;

    public CollectiveWatchdog(TimeSpan timeout, Action<string> onTimeout)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), "the collective timeout must be positive");
        this.timeout = timeout;
        this.onTimeout = onTimeout;
        thread = new Thread(Watch) { IsBackground = true, Name = "collective-watchdog" };
        thread.Start();
    }

    public TimeSpan Timeout => timeout;

    /// <summary>Marks a collective as running until the returned scope is disposed. Not reentrant.</summary>
    public Scope Enter(string description)
    {
        what = description;
        Volatile.Write(ref started, Stopwatch.GetTimestamp());
        return new Scope(this);
    }

    public readonly struct Scope(CollectiveWatchdog owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner.started, 0);
    }

    private void Watch()
    {
        // Check often enough that a timeout fires within ~10% of its value, but at least every second.
        var poll = TimeSpan.FromTicks(Math.Clamp(timeout.Ticks / 10, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
        while (!stop.Wait(poll))
        {
            long since = Volatile.Read(ref started);
            if (since == 0 || Stopwatch.GetElapsedTime(since) < timeout) continue;
            if (Interlocked.Exchange(ref fired, 1) == 0)
                onTimeout($"{what} did not complete within {timeout.TotalSeconds:0.###} s");
        }
    }

    public void Dispose()
    {
        stop.Set();
        thread.Join();
        stop.Dispose();
    }
}
