namespace DnaFoundation.Data;

/// <summary>
/// xoshiro256** with its whole state visible, so a loader can save it in a checkpoint and resume the exact same
/// stream (System.Random's state cannot be saved). Seeded through SplitMix64 as the authors recommend.
/// </summary>
public sealed class DeterministicRng
{
    private ulong s0, s1, s2, s3;

    public DeterministicRng(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x); s1 = SplitMix(ref x); s2 = SplitMix(ref x); s3 = SplitMix(ref x);
    }

    /// <summary>A generator for one purpose derived from a seed and labels (epoch, rank, chunk…), order-independent.</summary>
    public static DeterministicRng Derive(ulong seed, params long[] labels)
    {
        ulong x = seed;
        foreach (var l in labels)
        {
            x ^= (ulong)l + 0x9E3779B97F4A7C15UL + (x << 6) + (x >> 2);
            x = SplitMix(ref x);
        }
        return new DeterministicRng(x);
    }

    public ulong[] State
    {
        get => [s0, s1, s2, s3];
        set { s0 = value[0]; s1 = value[1]; s2 = value[2]; s3 = value[3]; }
    }

    public ulong NextUInt64()
    {
        ulong result = RotL(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = RotL(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n) without modulo bias (Lemire's method).</summary>
    public long NextInt64(long n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        ulong un = (ulong)n;
        ulong hi = Math.BigMul(NextUInt64(), un, out ulong lo);
        if (lo < un)
        {
            ulong threshold = (0 - un) % un;
            while (lo < threshold) hi = Math.BigMul(NextUInt64(), un, out lo);
        }
        return (long)hi;
    }

    public int NextInt(int n) => (int)NextInt64(n);

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>Index drawn with probability proportional to <paramref name="weights"/> (zero weights never drawn).</summary>
    public int NextWeighted(IReadOnlyList<double> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        if (!(total > 0)) throw new InvalidOperationException("all weights are zero");
        double u = NextDouble() * total;
        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i] <= 0) continue;
            u -= weights[i];
            if (u < 0) return i;
        }
        for (int i = weights.Count - 1; i >= 0; i--) if (weights[i] > 0) return i;
        return 0;
    }

    private static ulong RotL(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
