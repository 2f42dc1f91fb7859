using System.Text;
using DnaFoundation.Data.Windows;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// Up to one Parquet row group of windows held column by column, as the writer takes them: metadata arrays, and
/// either sequences or all rows' token ids in one flat array with their soft-mask flags. Windows are tokenized
/// straight from their bytes into these buffers; the buffers are reused from group to group (<see cref="Clear"/>).
/// </summary>
internal sealed class ShardRowGroup
{
    private const string Plus = "+", Minus = "-";

    public ShardRowGroup(ShardContent content, int capacity)
    {
        Content = content;
        Capacity = capacity;
        Species = new string[capacity];
        Contig = new string[capacity];
        Strand = new string[capacity];
        Start = new long[capacity];
        End = new long[capacity];
        SoftMaskFraction = new double[capacity];
        if (content == ShardContent.Sequence) Sequence = new string[capacity];
        else
        {
            SoftMask = new byte[capacity][];
            RowEnds = new int[capacity];
        }
    }

    public ShardContent Content { get; }
    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    public string[] Species { get; }
    public string[] Contig { get; }
    public string[] Strand { get; }
    public long[] Start { get; }
    public long[] End { get; }
    public double[] SoftMaskFraction { get; }
    public string[]? Sequence { get; }

    /// <summary>Every row's ids, one after another; row r ends at <see cref="RowEnds"/>[r].</summary>
    public int[] Ids { get; private set; } = [];
    public int IdCount { get; private set; }
    public int[]? RowEnds { get; }

    /// <summary>One flag per token of each row (the binary <c>soft_mask</c> column).</summary>
    public byte[][]? SoftMask { get; }

    private byte[] softScratch = [];

    public void Clear()
    {
        Count = 0;
        IdCount = 0;
    }

    public void Add(GenomeWindow w, DnaTokenizer? tokenizer)
    {
        if (IsFull) throw new InvalidOperationException("row group is full");
        int r = Count;
        Species[r] = w.Species;
        Contig[r] = w.Contig;
        Strand[r] = w.Strand == '-' ? Minus : Plus;
        Start[r] = w.Start;
        End[r] = w.End;
        SoftMaskFraction[r] = w.SoftMaskFraction;
        if (Content == ShardContent.Sequence)
        {
            Sequence![r] = Encoding.ASCII.GetString(w.Bases);
        }
        else
        {
            var tok = tokenizer ?? throw new InvalidOperationException("an id shard needs a tokenizer");
            var options = EncodeOptionsFor(w);
            int max = tok.MaxTokenCount(w.Length, options);
            if (Ids.Length - IdCount < max) Ids = Grow(Ids, IdCount + max);
            if (softScratch.Length < max) softScratch = new byte[max];
            int n = tok.EncodeIds(w.Bases, Ids.AsSpan(IdCount, max), softScratch, options);
            if (n == 0) throw new InvalidOperationException("a row must have at least one token");
            // The row's flag array is reused when the previous group's row in this slot had as many tokens.
            var slot = SoftMask![r];
            if (slot is null || slot.Length != n) SoftMask[r] = slot = new byte[n];
            softScratch.AsSpan(0, n).CopyTo(slot);
            IdCount += n;
            RowEnds![r] = IdCount;
        }
        Count++;
    }

    /// <summary>How a window is encoded for a shard: the tokenizer's defaults, errors naming the window.</summary>
    public static EncodeOptions EncodeOptionsFor(GenomeWindow w) => new() { SequenceName = $"{w.Contig}:{w.Start + 1}-{w.End}" };

    private static int[] Grow(int[] a, int need)
    {
        var b = new int[Math.Max(need, Math.Max(a.Length * 2, 1 << 16))];
        a.CopyTo(b, 0);
        return b;
    }
}
