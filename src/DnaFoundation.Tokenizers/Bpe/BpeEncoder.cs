namespace DnaFoundation.Tokenizers.Bpe;

/// <summary>
/// Applies BPE merges to one word exactly as Hugging Face's <c>Word::merge_all</c> does: a min-heap of
/// (rank, position) over adjacent pairs; pop the lowest rank (leftmost on ties), skip entries made stale by earlier
/// merges, merge, push the two new neighbour pairs. Symbols live in flat arrays indexed by their first base, so a
/// token's base offsets fall out for free. Scratch buffers are per thread: no allocation per call once warm.
/// </summary>
internal sealed class BpeEncoder
{
    private readonly MergeTable merges;
    private readonly int[] baseIds; // code 0..4 → initial symbol id (N → its token or [UNK])
    private readonly bool fuseUnk;
    private readonly int unk;

    [ThreadStatic] private static Scratch? scratch;

    public BpeEncoder(MergeTable merges, int[] baseIds, int unk, bool fuseUnk)
    {
        this.merges = merges;
        this.baseIds = baseIds;
        this.unk = unk;
        this.fuseUnk = fuseUnk;
    }

    private sealed class Scratch
    {
        public int[] Id = [], Next = [], Prev = [], End = [];
        public long[] Heap = [];

        public void Ensure(int n)
        {
            if (Id.Length >= n) return;
            int size = Math.Max(n, 1024);
            Id = new int[size]; Next = new int[size]; Prev = new int[size]; End = new int[size];
            Heap = new long[2 * size]; // initial pairs plus at most one net push per merge
        }
    }

    /// <summary>Tokenizes base codes; writes the first <paramref name="maxTokens"/> ids and [start, end) base offsets; returns how many.</summary>
    public int Encode(ReadOnlySpan<byte> codes, int maxTokens, Span<int> ids, Span<BaseSpan> offsets)
    {
        int n = codes.Length;
        if (n == 0) return 0;
        var s = scratch ??= new Scratch();
        s.Ensure(n);
        int[] id = s.Id, next = s.Next, prev = s.Prev, end = s.End;
        long[] heap = s.Heap;

        // Initial symbols: one per base (a run of [UNK]s fused into one when the model says fuse_unk).
        int last = -1;
        for (int i = 0; i < n; i++)
        {
            int sym = baseIds[codes[i]];
            if (fuseUnk && sym == unk && last >= 0 && id[last] == unk)
            {
                end[last] = i + 1;
                continue;
            }
            id[i] = sym;
            end[i] = i + 1;
            prev[i] = last;
            if (last >= 0) next[last] = i;
            last = i;
        }
        next[last] = -1;

        // Heap of rank << 32 | position, built bottom-up.
        int size = 0;
        for (int i = 0; i != -1 && next[i] != -1; i = next[i])
        {
            long m = merges.Find(id[i], id[next[i]]);
            if (m >= 0) heap[size++] = (m & ~0xFFFFFFFFL) | (uint)i;
        }
        for (int h = size / 2 - 1; h >= 0; h--) SiftDown(heap, h, size);

        while (size > 0)
        {
            long top = heap[0];
            heap[0] = heap[--size];
            if (size > 0) SiftDown(heap, 0, size);
            int pos = (int)(top & 0xFFFFFFFF);
            int rank = (int)(top >> 32);
            if (end[pos] == 0) continue;          // merged into its left neighbour
            int right = next[pos];
            if (right == -1) continue;
            long m = merges.Find(id[pos], id[right]);
            if (m < 0 || (int)(m >> 32) != rank) continue; // the pair changed since this entry was pushed
            id[pos] = (int)(m & 0xFFFFFFFF);
            end[pos] = end[right];
            end[right] = 0;
            int after = next[right];
            next[pos] = after;
            if (after != -1) prev[after] = pos;
            int before = prev[pos];
            if (before != -1)
            {
                long mb = merges.Find(id[before], id[pos]);
                if (mb >= 0) Push(heap, ref size, (mb & ~0xFFFFFFFFL) | (uint)before);
            }
            if (after != -1)
            {
                long ma = merges.Find(id[pos], id[after]);
                if (ma >= 0) Push(heap, ref size, (ma & ~0xFFFFFFFFL) | (uint)pos);
            }
        }

        int count = 0;
        for (int i = 0; i != -1 && count < maxTokens; i = next[i])
        {
            ids[count] = id[i];
            offsets[count] = new BaseSpan(i, end[i]);
            count++;
        }
        // end[] doubles as the "alive" mark; clear what we used so the next call starts clean.
        Array.Clear(end, 0, n);
        return count;
    }

    private static void Push(long[] heap, ref int size, long value)
    {
        int i = size++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent] <= value) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
    }

    private static void SiftDown(long[] heap, int i, int size)
    {
        long value = heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= value) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = value;
    }
}
