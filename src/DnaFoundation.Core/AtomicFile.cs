namespace DnaFoundation.Core;

/// <summary>
/// Writes files so that a reader sees either nothing or the whole file: write to a temp name in the same folder,
/// flush to disk, then rename over the target. A killed process leaves only a *.tmp-* file that nothing reads.
/// </summary>
public static class AtomicFile
{
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = TempPathFor(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Copies <paramref name="source"/> to <paramref name="path"/> through a temp file, replacing any file there.</summary>
    public static void Copy(string source, string path)
    {
        using var pending = Create(path);
        using (var input = File.OpenRead(source)) input.CopyTo(pending.Stream);
        pending.Commit();
    }

    /// <summary>Runs <paramref name="write"/> against a temp file, then renames it to <paramref name="path"/>.</summary>
    public static async Task WriteAsync(string path, Func<Stream, Task> write, CancellationToken ct = default)
    {
        var tmp = TempPathFor(path);
        try
        {
            await using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: false))
            {
                await write(fs).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>
    /// Opens a temp file for <paramref name="path"/> to be written as a stream: <see cref="Pending.Commit"/> flushes it
    /// to disk and renames it into place; disposing without committing deletes it.
    /// </summary>
    public static Pending Create(string path, int bufferSize = 1 << 16)
    {
        var tmp = TempPathFor(path);
        return new Pending(path, tmp, new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize, useAsync: false));
    }

    /// <summary>A file being written under a temp name (see <see cref="Create"/>).</summary>
    public sealed class Pending(string path, string tempPath, FileStream stream) : IDisposable
    {
        private bool done;

        public Stream Stream => stream;

        public void Commit()
        {
            stream.Flush(flushToDisk: true);
            stream.Dispose();
            File.Move(tempPath, path, overwrite: true);
            done = true;
        }

        public void Dispose()
        {
            if (done) return;
            done = true;
            stream.Dispose();
            TryDelete(tempPath);
        }
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
