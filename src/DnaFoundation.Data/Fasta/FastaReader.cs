using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>
/// Streams the records of a FASTA file (plain, gzip or BGZF; any line width; \n or \r\n; empty lines) without ever
/// holding a whole record: <see cref="NextRecord()"/> moves to a header, <see cref="Read"/> fills a buffer with the
/// record's bases in their original case (lowercase = soft-masked). Memory is one I/O buffer, whatever the genome.
/// Every byte is checked: the file must start with '>', bases must be IUPAC, records must be non-empty and names
/// unique; anything else is a <see cref="DnaInputException"/> naming the file, line and uncompressed byte offset.
/// </summary>
public sealed class FastaReader : IDisposable
{
    private readonly Stream input;
    private readonly byte[] buf;
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private int pos, len;
    private long bufStart;          // uncompressed offset of buf[0]
    private long line = 1;          // 1-based line number at pos
    private bool eof;
    private bool started;
    private bool inRecord;          // between a header and the next header / EOF
    private bool atLineStart = true;

    // Layout of the current record, by samtools' rules.
    private long recordBases;
    private int firstLineBytes = -1, firstLineBases = -1;
    private bool layoutEnded;       // a short or empty line was seen: any further sequence line breaks the layout
    private string? layoutProblem;
    private long? layoutProblemLine;
    private int lineBytes, lineBases;

    public string Path { get; }

    public FastaCompression Compression { get; }

    /// <summary>The record <see cref="Read"/> is reading, or null before the first / after the last.</summary>
    public FastaRecordInfo? Current { get; private set; }

    /// <summary>Bases read so far in <see cref="Current"/>.</summary>
    public long CurrentLength => recordBases;

    /// <summary>The BGZF block starts seen (for writing a .gzi), when the input is BGZF.</summary>
    public IReadOnlyList<GziEntry>? BlockStarts => (input as BgzfReader)?.BlockStarts;

    public FastaReader(string path, int threads = 0)
    {
        Path = path;
        input = SequenceInput.OpenDecompressed(path, out var c, threads);
        Compression = c;
        buf = new byte[1 << 20];
    }

    /// <summary>Reads from an already-open stream of uncompressed FASTA; <paramref name="name"/> is used in errors.</summary>
    public FastaReader(Stream uncompressed, string name, int bufferSize = 1 << 20)
    {
        Path = name;
        input = uncompressed;
        Compression = FastaCompression.Plain;
        buf = new byte[bufferSize];
    }

    public static FastaReader Open(string path, int threads = 0) => new(path, threads);

    /// <summary>Moves to the next record, skipping any unread bases of the current one; null at the end of the file.</summary>
    public FastaRecordInfo? NextRecord() => NextRecord(out _);

    /// <summary>
    /// Moves to the next record, skipping any unread bases of the current one; null at the end of the file.
    /// <paramref name="finished"/> is the layout of the record just left (null for the first call).
    /// </summary>
    public FastaRecordInfo? NextRecord(out FastaLayout? finished)
    {
        finished = null;
        if (inRecord)
        {
            Span<byte> sink = stackalloc byte[8192];
            while (Read(sink) > 0) { }
        }
        if (Current is not null)
        {
            finished = new FastaLayout(recordBases, Current.SequenceOffset, Math.Max(firstLineBases, 0), Math.Max(firstLineBytes, 0), layoutProblem, layoutProblemLine);
            Current = null;
        }
        // Between records: only empty lines may stand before the next '>'.
        while (true)
        {
            if (!Fill())
            {
                if (!started) throw new DnaInputException("no FASTA records (the file is empty)", Path, line, bufStart + pos);
                return null;
            }
            byte b = buf[pos];
            if (b == '\n') { pos++; line++; continue; }
            if (b == '\r' && PeekIsNewline(1)) { pos += 2; line++; continue; }
            if (b == '>') break;
            if (!started)
                throw Error(b < 32 || b > 126
                    ? "not a FASTA file: it starts with binary data (expected '>' on the first line)"
                    : $"not a FASTA file: expected '>' at the start of the first record, found '{(char)b}'");
            throw Error($"unexpected '{Printable(b)}' where a '>' header line should start");
        }
        started = true;
        long headerLine = line;
        var header = ReadHeaderLine();
        var text = header.TrimStart(' ', '\t');
        int ws = text.IndexOfAny([' ', '\t', '\v', '\f']);
        var name = ws < 0 ? text.TrimEnd() : text[..ws];
        var description = ws < 0 ? "" : text[(ws + 1)..].Trim();
        if (name.Length == 0) throw new DnaInputException("header line has no sequence name after '>'", Path, headerLine);
        if (!names.Add(name)) throw new DnaInputException($"duplicate record name '{name}'", Path, headerLine);
        Current = new FastaRecordInfo(name, description, header, headerLine, bufStart + pos);
        inRecord = true;
        atLineStart = true;
        recordBases = 0;
        firstLineBytes = firstLineBases = -1;
        layoutEnded = false;
        layoutProblem = null;
        layoutProblemLine = null;
        return Current;
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length bases of the current record; 0 at its end.</summary>
    public int Read(Span<byte> destination)
    {
        int written = 0;
        while (inRecord && written < destination.Length)
        {
            if (!Fill())
            {
                if (!atLineStart) EndLine(countNewline: true);
                EndRecord();
                break;
            }
            if (atLineStart)
            {
                byte b = buf[pos];
                if (b == '>') { EndRecord(); break; }
                if (b == '\n' || (b == '\r' && PeekIsNewline(1)))
                {
                    pos += b == '\r' ? 2 : 1;
                    line++;
                    layoutEnded = true;   // samtools: an empty line ends the record's sequence lines
                    continue;
                }
                if (layoutEnded && layoutProblem is null)
                {
                    layoutProblem = firstLineBytes < 0
                        ? $"empty line before the sequence of '{Current!.Name}'"
                        : $"different line length in sequence '{Current!.Name}' (or an empty line inside it)";
                    layoutProblemLine = line;
                }
                atLineStart = false;
                lineBytes = lineBases = 0;
            }
            var span = buf.AsSpan(pos, len - pos);
            int room = destination.Length - written;
            int run = span.IndexOfAnyExcept(NucleotideAlphabet.Valid);
            int take = run < 0 ? span.Length : run;
            if (take > room) take = room;
            span[..take].CopyTo(destination[written..]);
            written += take;
            pos += take;
            lineBytes += take;
            lineBases += take;
            recordBases += take;
            if (take == room || run < 0) continue;
            byte c = buf[pos];
            if (c == '\n')
            {
                pos++;
                EndLine(countNewline: true);
                line++;
                atLineStart = true;
            }
            else if (c == '\r' && PeekIsNewline(1))
            {
                pos++;
                lineBytes++;
            }
            else
            {
                throw Error($"invalid character '{Printable(c)}' in the sequence of '{Current!.Name}' (expected IUPAC nucleotide codes ACGTURYSWKMBDHVN)");
            }
        }
        return written;
    }

    private void EndLine(bool countNewline)
    {
        int ll = lineBytes + (countNewline ? 1 : 0);
        if (firstLineBytes < 0)
        {
            firstLineBytes = ll;
            firstLineBases = lineBases;
        }
        else if (ll < firstLineBytes)
        {
            layoutEnded = true;
        }
        else if (ll > firstLineBytes && layoutProblem is null)
        {
            layoutProblem = $"different line length in sequence '{Current!.Name}'";
            layoutProblemLine = line;
        }
        atLineStart = true;
    }

    private void EndRecord()
    {
        inRecord = false;
        if (recordBases == 0)
            throw new DnaInputException($"empty record '{Current!.Name}': a header with no sequence", Path, Current.HeaderLine);
    }

    private string ReadHeaderLine()
    {
        var sb = new System.Text.StringBuilder();
        pos++; // '>'
        while (Fill())
        {
            var span = buf.AsSpan(pos, len - pos);
            int nl = span.IndexOf((byte)'\n');
            var part = nl < 0 ? span : span[..nl];
            sb.Append(System.Text.Encoding.UTF8.GetString(part));
            pos += part.Length;
            if (nl >= 0)
            {
                pos++;
                line++;
                break;
            }
        }
        if (sb.Length > 0 && sb[^1] == '\r') sb.Length--;
        return sb.ToString();
    }

    private bool PeekIsNewline(int ahead)
    {
        if (pos + ahead >= len)
        {
            // Keep the bytes before the peek; refill moves the tail to the front.
            Compact();
            ReadMore();
        }
        return pos + ahead >= len || buf[pos + ahead] == '\n';
    }

    private bool Fill()
    {
        if (pos < len) return true;
        if (eof) return false;
        bufStart += len;
        pos = len = 0;
        ReadMore();
        return pos < len;
    }

    private void Compact()
    {
        int keep = len - pos;
        if (pos > 0)
        {
            Buffer.BlockCopy(buf, pos, buf, 0, keep);
            bufStart += pos;
            pos = 0;
            len = keep;
        }
    }

    private void ReadMore()
    {
        while (!eof && len < buf.Length)
        {
            int n;
            try { n = input.Read(buf, len, buf.Length - len); }
            catch (InvalidDataException e)
            {
                throw new DnaInputException($"corrupt or truncated compressed data: {e.Message}", Path, line, bufStart + len, e);
            }
            catch (IOException e)
            {
                throw new DnaInputException($"read error: {e.Message}", Path, line, bufStart + len, e);
            }
            if (n == 0) { eof = true; break; }
            len += n;
            if (len - pos >= 2) break;
        }
    }

    private DnaInputException Error(string message) => new(message, Path, line, bufStart + pos);

    private static string Printable(byte b) => b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:x2}";

    public void Dispose() => input.Dispose();
}
