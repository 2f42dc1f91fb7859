using DnaFoundation.Core;
using DnaFoundation.Data;

namespace DnaFoundation.Evaluation;

/// <summary>Every output is written to a temp name beside the target and renamed: a reader never sees half a file.</summary>
internal static class OutputFiles
{
    public static void WriteText(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.WriteAllText(path, text);
    }

    /// <summary>Runs <paramref name="write"/> on a temp path in the target's folder, then renames over the target.</summary>
    public static void Write(string path, Action<string> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = AtomicFile.TempPathFor(path);
        try
        {
            write(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            AtomicFile.TryDelete(tmp);
            throw;
        }
    }
}
