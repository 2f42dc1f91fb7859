using System.IO.Compression;
using System.Runtime.CompilerServices;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>Opens a possibly compressed sequence file as a stream of its uncompressed bytes.</summary>
public static class SequenceInput
{
    /// <summary>
    /// .NET's inflater silently stops at the end of a truncated gzip file unless strict validation is on; a truncated
    /// genome must be an error, never a shorter genome. Set before any DeflateStream is created in this process.
    /// </summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Must run before any DeflateStream in the process caches the switch; a library has no earlier hook.")]
    internal static void EnableStrictGzip() => AppContext.SetSwitch("System.IO.Compression.UseStrictValidation", true);

    public static FileStream OpenFile(string path, int bufferSize = 1 << 16)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new DnaInputException($"cannot open: {e.Message}", path, inner: e);
        }
    }

    /// <summary>Reads the magic bytes: gzip is 1f 8b; BGZF is gzip with an extra field whose subfield id is 'BC'.</summary>
    public static FastaCompression Detect(string path)
    {
        using var fs = OpenFile(path, 64);
        Span<byte> head = stackalloc byte[16];
        int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Detect(head[..n]);
    }

    public static FastaCompression Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length < 2 || head[0] != 0x1f || head[1] != 0x8b) return FastaCompression.Plain;
        bool bgzf = head.Length >= 16 && (head[3] & 4) != 0 && head[12] == (byte)'B' && head[13] == (byte)'C';
        return bgzf ? FastaCompression.Bgzf : FastaCompression.Gzip;
    }

    /// <summary>The uncompressed bytes of <paramref name="path"/>; BGZF is inflated in parallel ahead of the reader.</summary>
    public static Stream OpenDecompressed(string path, out FastaCompression compression, int threads = 0)
    {
        compression = Detect(path);
        var fs = OpenFile(path, 1 << 20);
        return compression switch
        {
            FastaCompression.Plain => fs,
            FastaCompression.Gzip => new GZipStream(fs, CompressionMode.Decompress, leaveOpen: false),
            _ => new BgzfReader(fs, path, threads),
        };
    }
}
