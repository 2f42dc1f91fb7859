using System.IO.Compression;
using DnaFoundation.Core;
using DnaFoundation.Data.Shards;

namespace DnaFoundation.Data.Fasta;

/// <summary>What <see cref="Bgzip.Convert"/> did: sizes, the output's sha256 and the indexes written beside it.</summary>
public sealed record BgzipResult(
    string Input,
    string Output,
    FastaCompression InputCompression,
    long InputBytes,
    long UncompressedBytes,
    long OutputBytes,
    string OutputSha256,
    int Level,
    FaiIndex Fai,
    GziIndex Gzi);

/// <summary>
/// <c>dnafm data bgzip</c>: recompresses a plain or gzip FASTA to BGZF and writes its .fai and .gzi, in one pass —
/// the FASTA is parsed (and so validated, with the reader's file-and-position errors) from the very bytes being
/// compressed. The BGZF goes to a temp name and is renamed into place only when whole, so a failure or a kill never
/// leaves a half file; the output may be the input itself (in-place recompression).
/// </summary>
public static class Bgzip
{
    private const long ProgressEvery = 64L << 20;

    /// <param name="beforeCommit">
    /// Runs when everything is written but before the BGZF is renamed into place (<c>data fetch</c> records the
    /// conversion there, so a converted file never exists without its record).
    /// </param>
    public static BgzipResult Convert(string input, string output, int threads = 0, int level = 6,
        Action<BgzipResult>? beforeCommit = null, IProgress<ProgressInfo>? progress = null, int blockDataSize = BgzfWriter.MaxBlockData)
    {
        var compression = SequenceInput.Detect(input);
        if (compression == FastaCompression.Bgzf)
            throw new DnaInputException("already BGZF (bgzip-compressed): nothing to convert", input);
        using var pending = CreateOutput(output);
        var hashing = new HashingWriteStream(pending.Stream);
        FaiIndex fai;
        GziIndex gzi;
        long inputBytes, uncompressed, written;
        using (var file = SequenceInput.OpenFile(input, 1 << 20))
        {
            inputBytes = file.Length;
            Stream source = compression == FastaCompression.Gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            using var writer = new BgzfWriter(hashing, threads, level, leaveOpen: true, blockDataSize);
            var tee = new TeeReadStream(source, writer, () => file.Position, inputBytes, progress);
            try
            {
                using var reader = new FastaReader(tee, input);
                fai = FaiIndex.Build(reader);
                // FastaReader stops only at the end of its input, so every byte went through the writer.
                if (tee.ReadByte() >= 0) throw new InvalidOperationException("FASTA reader stopped before the end of " + input);
                writer.Finish();
            }
            catch
            {
                writer.Abandon();   // the temp file is deleted; finishing it would only hide the error behind another
                throw;
            }
            uncompressed = writer.Position;
            written = writer.CompressedLength;
            gzi = new GziIndex(writer.BlockStarts);
        }
        var result = new BgzipResult(input, output, compression, inputBytes, uncompressed, written, hashing.Sha256Hex(), level, fai, gzi);
        beforeCommit?.Invoke(result);
        // Indexes of whatever was at OUT before go first: a kill between the steps leaves at worst a file with no
        // index (rebuilt on first use), never a new file beside a stale index.
        AtomicFile.TryDelete(output + ".fai");
        AtomicFile.TryDelete(output + ".gzi");
        pending.Commit();
        gzi.Write(output + ".gzi");
        fai.Write(output + ".fai");
        return result;
    }

    private static AtomicFile.Pending CreateOutput(string output)
    {
        try { return AtomicFile.Create(output, 1 << 20); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DnaInputException($"cannot write: {e.Message}", output, inner: e);
        }
    }

    /// <summary>Hands every byte read from <c>source</c> to <c>sink</c> as well, and reports the input file position.</summary>
    private sealed class TeeReadStream(Stream source, Stream sink, Func<long> inputPosition, long inputLength, IProgress<ProgressInfo>? progress) : Stream
    {
        private long nextReport = ProgressEvery;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = source.Read(buffer);
            sink.Write(buffer[..n]);
            if (progress is not null && inputPosition() >= nextReport)
            {
                nextReport = inputPosition() + ProgressEvery;
                progress.Report(new ProgressInfo("bgzip", inputPosition(), inputLength, "bytes"));
            }
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) source.Dispose();
            base.Dispose(disposing);
        }
    }
}
