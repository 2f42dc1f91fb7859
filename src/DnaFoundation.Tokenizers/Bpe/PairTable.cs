namespace DnaFoundation.Tokenizers.Bpe;

/// <summary>
/// Training state per adjacent pair: its count, and the positions where it may occur as a singly linked list threaded
/// through two flat arrays (nodes freed when a pair is merged are reused). Struct-of-arrays on purpose: millions of
/// small per-pair objects made garbage collection dominate training time on a whole chromosome.
/// </summary>
internal sealed class PairTable
{
    // long.GetHashCode() is hi ^ lo, i.e. left ^ right here: a few thousand distinct hashes for millions of pairs.
    private readonly Dictionary<long, int> index = new(MixedKey.Instance);
    private int[] heads = new int[1024];
    private int[] touchedRound = new int[1024];
    private int[] nodePosition, nodeNext;
    private int nodeCount, freeNode = -1;

    public PairTable(long expectedPositions)
    {
        int cap = (int)Math.Min(Array.MaxLength, Math.Max(1024, expectedPositions + expectedPositions / 4));
        nodePosition = new int[cap];
        nodeNext = new int[cap];
    }

    public long[] Counts = new long[1024];
    public int[] Lefts = new int[1024];
    public int[] Rights = new int[1024];

    /// <summary>Pairs whose count grew since the caller last cleared this list.</summary>
    public List<int> Touched { get; } = [];

    public int Count { get; private set; }

    private int IndexOf(int left, int right)
    {
        long key = ((long)left << 32) | (uint)right;
        if (index.TryGetValue(key, out int i)) return i;
        i = Count++;
        if (i == Counts.Length)
        {
            int size = i * 2;
            Array.Resize(ref Counts, size);
            Array.Resize(ref Lefts, size);
            Array.Resize(ref Rights, size);
            Array.Resize(ref heads, size);
            Array.Resize(ref touchedRound, size);
        }
        Lefts[i] = left;
        Rights[i] = right;
        heads[i] = -1;
        touchedRound[i] = int.MinValue;
        index[key] = i;
        return i;
    }

    /// <summary>One more occurrence of (left, right) with its left symbol at <paramref name="position"/>.</summary>
    public void Increment(int left, int right, int position, int round)
    {
        int i = IndexOf(left, right);
        Counts[i]++;
        int node = freeNode;
        if (node >= 0) freeNode = nodeNext[node];
        else
        {
            if (nodeCount == nodePosition.Length)
            {
                int size = (int)Math.Min(Array.MaxLength, (long)nodeCount * 3 / 2);
                Array.Resize(ref nodePosition, size);
                Array.Resize(ref nodeNext, size);
            }
            node = nodeCount++;
        }
        nodePosition[node] = position;
        nodeNext[node] = heads[i];
        heads[i] = node;
        if (round >= 0 && touchedRound[i] != round)
        {
            touchedRound[i] = round;
            Touched.Add(i);
        }
    }

    /// <summary>
    /// One occurrence fewer. Its position stays listed (skipped when found stale); when no occurrence is left the whole
    /// list is freed, so positions of pairs that die out do not pile up.
    /// </summary>
    public void Decrement(int left, int right)
    {
        if (index.TryGetValue(((long)left << 32) | (uint)right, out int i) && --Counts[i] == 0) FreeList(i, null);
    }

    /// <summary>Moves the pair's listed positions into <paramref name="into"/> (cleared first) and frees its list.</summary>
    public void TakePositions(int pair, List<int> into)
    {
        into.Clear();
        FreeList(pair, into);
    }

    private void FreeList(int pair, List<int>? into)
    {
        int node = heads[pair];
        while (node >= 0)
        {
            into?.Add(nodePosition[node]);
            int next = nodeNext[node];
            nodeNext[node] = freeNode;
            freeNode = node;
            node = next;
        }
        heads[pair] = -1;
    }

    private sealed class MixedKey : IEqualityComparer<long>
    {
        public static readonly MixedKey Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long key) => (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15UL)) >> 32);
    }
}
