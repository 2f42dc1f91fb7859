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

    /// <summary>
    /// One line whatever the input held: messages quote names and text from the file, so control characters
    /// (a line break inside a quoted JSON token, a stray byte in a FASTA header) are written as escapes.
    /// </summary>
    private static string Compose(string message, string? file, long? line, long? byteOffset) =>
        OneLine(Locate(message, file, line, byteOffset));

    private static string Locate(string message, string? file, long? line, long? byteOffset)
    {
        if (file is null) return message;
        var where = file;
        if (line is not null) where += $":{line}";
        if (byteOffset is not null) where += $" (byte {byteOffset})";
        return $"{where}: {message}";
    }

    private static string OneLine(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var sb = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append(c);
            else if (char.IsControl(c)) sb.Append($"\\x{(int)c:x2}");
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
