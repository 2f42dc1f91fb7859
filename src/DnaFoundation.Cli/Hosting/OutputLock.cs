using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// One writer per output: <c>OUTPUT.lock</c> beside the output folder or file (never inside it, so a command that
/// fails still leaves no output behind), created atomically and holding the pid, host, command and start time of
/// its holder. A second command on the same output is refused (exit 2) with the holder named. A lock left by a
/// process that is gone — same host, and that pid no longer running or now another process — is stale and is
/// replaced with a warning. Nested commands of one process (the quick start runs others in process) share it.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    private static readonly Dictionary<string, int> HeldHere = new(StringComparer.Ordinal);

    private readonly string path;
    private readonly string? createdParent;

    private OutputLock(string path, string? createdParent)
    {
        this.path = path;
        this.createdParent = createdParent;
    }

    public static string LockPathFor(string output) => Path.GetFullPath(output).TrimEnd('/', '\\') + ".lock";

    /// <summary>Takes the lock of <paramref name="output"/> for <paramref name="command"/>, or throws naming the holder.</summary>
    public static OutputLock Acquire(string output, string command)
    {
        var path = LockPathFor(output);
        lock (HeldHere)
        {
            if (HeldHere.TryGetValue(path, out int n))
            {
                HeldHere[path] = n + 1;
                return new OutputLock(path, null);
            }
        }
        var parent = Path.GetDirectoryName(path)!;
        string? createdParent = null;
        if (!Directory.Exists(parent))
        {
            createdParent = TopMissing(parent);
            Directory.CreateDirectory(parent);
        }
        var me = Describe(command);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                using (var w = new StreamWriter(fs))
                    w.Write(me.ToJsonString() + "\n");
                lock (HeldHere) HeldHere[path] = 1;
                return new OutputLock(path, createdParent);
            }
            catch (IOException) when (File.Exists(path) && attempt < 3)
            {
                var holder = ReadHolder(path);
                if (holder is not null && IsStale(holder))
                {
                    Console.Error.WriteLine($"warning: replacing the stale lock {path} left by {Who(holder)}, which is no longer running");
                    TryDelete(path);
                    continue;
                }
                RemoveCreatedParent(createdParent);
                throw new DnaInputException(
                    holder is null
                        ? "another command is writing this output (its lock file is being written or unreadable); wait for it, or delete the lock if no dnafm runs there"
                        : $"{Who(holder)} is writing this output; wait for it to finish or stop it (a lock left by a crashed run on another host can be deleted by hand)",
                    path);
            }
        }
    }

    public void Dispose()
    {
        lock (HeldHere)
        {
            if (!HeldHere.TryGetValue(path, out int n)) return;
            if (n > 1)
            {
                HeldHere[path] = n - 1;
                return;
            }
            HeldHere.Remove(path);
        }
        TryDelete(path);
        RemoveCreatedParent(createdParent);
    }

    private static JsonObject Describe(string command)
    {
        using var self = Process.GetCurrentProcess();
        return new JsonObject
        {
            ["pid"] = Environment.ProcessId,
            ["host"] = Environment.MachineName,
            ["command"] = "dnafm " + command,
            ["started"] = DateTimeOffset.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            ["process_start"] = self.StartTime.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture),
        };
    }

    private static JsonObject? ReadHolder(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Same host and the pid is gone (or reused by a process that started after the lock's holder).</summary>
    private static bool IsStale(JsonObject holder)
    {
        if ((string?)(holder["host"] as JsonValue) != Environment.MachineName) return false;
        if (holder["pid"] is not JsonValue pv || !pv.TryGetValue<int>(out int pid)) return false;
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return true;
            if (holder["process_start"] is JsonValue sv && sv.TryGetValue<string>(out var s)
                && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var recorded))
                return Math.Abs((p.StartTime.ToUniversalTime() - recorded.UtcDateTime).TotalSeconds) > 2;
            return false;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return true;                                   // no such process
        }
    }

    private static string Who(JsonObject holder) =>
        $"'{holder["command"]}' (pid {holder["pid"]} on {holder["host"]}, since {holder["started"]})";

    private static string TopMissing(string dir)
    {
        var top = dir;
        for (var d = Path.GetDirectoryName(dir); d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) top = d;
        return top;
    }

    /// <summary>A parent folder made only to hold the lock goes again if the command left nothing in it.</summary>
    private static void RemoveCreatedParent(string? top)
    {
        if (top is null || !Directory.Exists(top) || Directory.EnumerateFileSystemEntries(top, "*", SearchOption.AllDirectories).Any(File.Exists)) return;
        try { Directory.Delete(top, recursive: true); } catch (IOException) { }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
