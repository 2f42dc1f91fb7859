using System.Buffers;
using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Data.Windows;

/// <summary>
/// Cuts a stream of one contig's bases into windows (see <see cref="WindowOptions"/>) while holding only about one
/// window plus one chunk in memory, whatever the contig's length. Feed chunks with <see cref="Push"/>, then call
/// <see cref="Finish"/>; windows come out through the callback in coordinate order.
/// </summary>
public sealed class WindowCutter
{
    private static readonly SearchValues<byte> NBases = SearchValues.Create("Nn"u8);
    private readonly WindowOptions o;
    private readonly Action<long, ReadOnlySpan<byte>> emit;
    private byte[] buf;
    private long bufStart;   // absolute position of buf[0]
    private int count;       // bases in buf
    private long next;       // start of the next window to emit; long.MaxValue while inside a long N run
    private long runStart = -1;

    /// <param name="emit">Receives (start, bases) of each window; the span is only valid during the call.</param>
    public WindowCutter(WindowOptions options, Action<long, ReadOnlySpan<byte>> emit)
    {
        o = options;
        this.emit = emit;
        buf = new byte[Math.Max(options.Length * 2, 1 << 16)];
    }

    private long End => bufStart + count;

    public void Push(ReadOnlySpan<byte> bases)
    {
        while (bases.Length > 0)
        {
            Compact();
            int room = buf.Length - count;
            if (room == 0)
            {
                Array.Resize(ref buf, buf.Length * 2);
                room = buf.Length - count;
            }
            int n = Math.Min(room, bases.Length);
            long p0 = End;
            bases[..n].CopyTo(buf.AsSpan(count));
            count += n;
            bases = bases[n..];
            ScanNRuns(p0);
            EmitUpTo(runStart >= 0 ? runStart : End);
        }
    }

    /// <summary>The contig ended: emit the windows that fit before its end.</summary>
    public void Finish()
    {
        if (runStart >= 0) CloseRun(End);
        EmitUpTo(End);
    }

    private void ScanNRuns(long from)
    {
        var span = buf.AsSpan((int)(from - bufStart), (int)(End - from));
        long pos = from;
        while (span.Length > 0)
        {
            if (runStart < 0)
            {
                int i = span.IndexOfAny(NBases);
                if (i < 0) return;
                runStart = pos + i;
                EmitUpTo(runStart);   // windows wholly before the run are safe whatever its length
                span = span[i..];
                pos += i;
            }
            int j = span.IndexOfAnyExcept(NBases);
            if (j < 0)
            {
                if (End - runStart >= o.SplitAtNRun) next = long.MaxValue;
                return;
            }
            CloseRun(pos + j);
            span = span[j..];
            pos += j;
        }
    }

    private void CloseRun(long runEnd)
    {
        if (runEnd - runStart >= o.SplitAtNRun)
        {
            // A long gap: the segment before it is over; the next one starts right after the gap.
            next = runEnd;
        }
        runStart = -1;
    }

    private void EmitUpTo(long safeEnd)
    {
        int len = o.Length;
        int maxN = (int)Math.Floor(o.MaxNFraction * len);
        while (next != long.MaxValue && next + len <= safeEnd)
        {
            var w = buf.AsSpan((int)(next - bufStart), len);
            if (CountN(w) <= maxN) emit(next, w);
            next += o.EffectiveStride;
        }
    }

    private static int CountN(ReadOnlySpan<byte> w)
    {
        int n = 0;
        while (true)
        {
            int i = w.IndexOfAny(NBases);
            if (i < 0) return n;
            w = w[i..];
            int j = w.IndexOfAnyExcept(NBases);
            if (j < 0) return n + w.Length;
            n += j;
            w = w[j..];
        }
    }

    // Drop bases no future window can use: everything before the next window start, and before an open N run
    // still short enough that windows may span it. A long run (a centromere) is never held in memory.
    private void Compact()
    {
        long keepFrom = Math.Min(next, End);
        if (runStart >= 0 && End - runStart < o.SplitAtNRun) keepFrom = Math.Min(keepFrom, runStart);
        int drop = (int)Math.Clamp(keepFrom - bufStart, 0, count);
        if (drop == 0) return;
        Buffer.BlockCopy(buf, drop, buf, 0, count - drop);
        count -= drop;
        bufStart += drop;
    }
}
