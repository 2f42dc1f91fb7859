namespace DnaFoundation.Core;

/// <summary>
/// A problem with what the user gave us (a file, a config, an option), as opposed to a bug.
/// The CLI prints <see cref="Exception.Message"/> as one line and exits non-zero; no stack trace unless --verbose.
/// The message always names the file and, where known, the line or byte offset.
/// </summary>
public class DnaInputException : Exception
{
    public string? File { get; }
    public long? Line { get; }
    public long? ByteOffset { get; }

    public DnaInputException(string message, string? file = null, long? line = null, long? byteOffset = null, Exception? inner = null)
        : base(Compose(message, file, line, byteOffset), inner)
    {
        File = file;
        Line = line;
        ByteOffset = byteOffset;
    }

    private static string Compose(string message, string? file, long? line, long? byteOffset)
    {
        if (file is null) return message;
        var where = file;
        if (line is not null) where += $":{line}";
        if (byteOffset is not null) where += $" (byte {byteOffset})";
        return $"{where}: {message}";
    }
}
