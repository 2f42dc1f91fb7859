using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DnaFoundation.Benchmarks;

/// <summary>
/// The CPU's theoretical fp32 FMA rate, from the core clock measured under load and the FMA width the flags imply.
/// A BLAS's square-GEMM rate says what one library reaches; this says what no library can pass, so a throughput
/// target can be read against the hardware rather than against another library.
/// </summary>
internal static class CpuPeak
{
    public sealed record Estimate(double ClockGhz, int FlopsPerCycle, int Cores, string Basis)
    {
        public double Gflops => ClockGhz * FlopsPerCycle * Cores;
    }

    /// <summary>
    /// Clock: <paramref name="cores"/> threads each run a chain of dependent one-cycle integer operations (add, xor)
    /// at once, so every core is busy and runs at the clock it holds under an all-core load (turbo included, which
    /// /proc/cpuinfo's nominal MHz does not show). FLOP/cycle: AVX2 + FMA = two 256-bit FMA pipes × 8 floats × 2.
    /// </summary>
    public static Estimate Measure(int cores, IReadOnlyCollection<string> cpuFlags)
    {
        const long iterations = 200_000_000;                    // 4 dependent ops each: 0.8 G cycles, ≈ 0.3 s
        Chain(1_000_000);                                       // JIT and wake the core before timing
        var seconds = new double[cores];
        var threads = Enumerable.Range(0, cores).Select(c => new Thread(() =>
        {
            var sw = Stopwatch.StartNew();
            Sink(Chain(iterations));
            seconds[c] = sw.Elapsed.TotalSeconds;
        })).ToList();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        double ghz = 4.0 * iterations / seconds.Max() / 1e9;    // the slowest core sets an all-core figure
        var (perCycle, basis) = cpuFlags.Contains("avx512f")
            ? (64, "AVX-512: 2 × 512-bit FMA pipes assumed (an upper bound: some parts have one)")
            : cpuFlags.Contains("avx2") && cpuFlags.Contains("fma")
                ? (32, "AVX2 + FMA: 2 × 256-bit FMA pipes (Haswell and later, Zen 2 and later)")
                : (8, "no FMA flags: one 128-bit add + mul pipe assumed");
        return new Estimate(ghz, perCycle, cores, basis);
    }

    /// <summary>x86 add and xor have a one-cycle latency; four of them depend on each other per iteration.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long Chain(long n)
    {
        long x = 0;
        for (long i = 0; i < n; i++)
        {
            x += i;
            x ^= 0x55;
            x += 3;
            x ^= 0x33;
        }
        return x;
    }

    private static long sink;

    private static void Sink(long value) => Interlocked.Add(ref sink, value);
}
