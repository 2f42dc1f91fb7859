using System.Runtime.CompilerServices;

namespace DnaFoundation.Tokenizers.Bpe;

/// <summary>
/// (left id, right id) → (rank, merged id), as an open-addressing hash table: a few thousand merges fit in L2 cache,
/// and a lookup is one multiply and usually one probe (Dictionary&lt;long, …&gt; costs several times more here).
/// </summary>
internal sealed class MergeTable
{
    private readonly ulong[] keys;   // (left + 1) << 32 | (right + 1); 0 = empty
    private readonly long[] values;  // rank << 32 | merged id
    private readonly int mask;

    public MergeTable(IReadOnlyList<(int Left, int Right, int Merged)> merges)
    {
        int cap = 16;
        while (cap < merges.Count * 3) cap <<= 1;
        keys = new ulong[cap];
        values = new long[cap];
        mask = cap - 1;
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (l, r, m) = merges[rank];
            ulong key = Key(l, r);
            int slot = Slot(key);
            while (keys[slot] != 0 && keys[slot] != key) slot = (slot + 1) & mask;
            if (keys[slot] == key) continue; // a repeated merge keeps its first (lowest) rank, as Hugging Face's does
            keys[slot] = key;
            values[slot] = ((long)rank << 32) | (uint)m;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(int left, int right) => ((ulong)(uint)(left + 1) << 32) | (uint)(right + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 40) & mask;

    /// <summary>Rank &lt;&lt; 32 | merged id, or -1 when the pair does not merge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Find(int left, int right)
    {
        ulong key = Key(left, right);
        int slot = Slot(key);
        while (true)
        {
            ulong k = keys[slot];
            if (k == key) return values[slot];
            if (k == 0) return -1;
            slot = (slot + 1) & mask;
        }
    }
}
