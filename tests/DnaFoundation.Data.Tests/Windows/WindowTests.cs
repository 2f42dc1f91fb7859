using System.Text;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Windows;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Windows;

public class WindowTests
{
    /// <summary>The rule written plainly over a whole in-memory sequence: the reference the streaming cutter must equal.</summary>
    private static List<(long Start, string Bases)> Reference(string seq, WindowOptions o)
    {
        var segments = new List<(int S, int E)>();
        int segStart = 0, i = 0;
        while (i < seq.Length)
        {
            if (char.ToUpperInvariant(seq[i]) != 'N') { i++; continue; }
            int j = i;
            while (j < seq.Length && char.ToUpperInvariant(seq[j]) == 'N') j++;
            if (j - i >= o.SplitAtNRun)
            {
                segments.Add((segStart, i));
                segStart = j;
            }
            i = j;
        }
        segments.Add((segStart, seq.Length));
        var result = new List<(long, string)>();
        foreach (var (s, e) in segments)
            for (int w = s; w + o.Length <= e; w += o.EffectiveStride)
            {
                var bases = seq.Substring(w, o.Length);
                if (bases.Count(c => char.ToUpperInvariant(c) == 'N') <= Math.Floor(o.MaxNFraction * o.Length)) result.Add((w, bases));
            }
        return result;
    }

    private static string RandomGenome(Random rng, int length)
    {
        var sb = new StringBuilder(length);
        while (sb.Length < length)
        {
            double u = rng.NextDouble();
            int run = u < 0.05 ? rng.Next(1, 120) : rng.Next(1, 60);
            char c = u < 0.05 ? (rng.Next(2) == 0 ? 'N' : 'n') : "ACGTacgt"[rng.Next(8)];
            for (int k = 0; k < run && sb.Length < length; k++) sb.Append(u < 0.05 ? c : "ACGTacgt"[rng.Next(8)]);
        }
        return sb.ToString();
    }

    [Fact]
    public void Streaming_cutter_equals_the_plain_rule_for_any_chunking()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 300; trial++)
        {
            var seq = RandomGenome(rng, rng.Next(0, 3000));
            var o = new WindowOptions(Length: rng.Next(1, 200), Stride: rng.Next(0, 250), SplitAtNRun: rng.Next(1, 80), MaxNFraction: rng.NextDouble() * 0.3);
            var got = new List<(long, string)>();
            var cutter = new WindowCutter(o, (s, b) => got.Add((s, Encoding.ASCII.GetString(b))));
            var bytes = Encoding.ASCII.GetBytes(seq);
            int p = 0;
            while (p < bytes.Length)
            {
                int n = Math.Min(bytes.Length - p, rng.Next(1, 400));
                cutter.Push(bytes.AsSpan(p, n));
                p += n;
            }
            cutter.Finish();
            Assert.Equal(Reference(seq, o), got);
        }
    }

    [Fact]
    public void Reverse_complement_flips_strand_and_round_trips()
    {
        var w = new GenomeWindow("s", "c", 10, 16, '+', Encoding.ASCII.GetBytes("AACgtN"));
        var rc = w.ReverseComplement();
        Assert.Equal(('-', "NacGTT"), (rc.Strand, rc.Sequence));
        Assert.Equal(w.Sequence, rc.ReverseComplement().Sequence);
        Assert.Equal(2.0 / 6, w.SoftMaskFraction, 9);
    }

    [SkippableFact]
    public void Hg38_windows_skip_the_leading_gap_and_equal_region_reads()
    {
        var path = TestPaths.Shared("genomes", "human", "hg38_chr2_1-2333275.fa.gz");
        using var dir = new TempDir("win");
        var copy = dir.File("hg38.fa.gz");
        File.Copy(path, copy);
        var o = new WindowOptions(Length: 1000, Stride: 500);
        var windows = FastaWindows.Read(copy, "human", o).ToList();
        Assert.Equal(10_000, windows[0].Start);   // the first 10,000 bases are N
        Assert.All(windows, w => Assert.True(w.NFraction <= 0.1));
        double soft = windows.Average(w => w.SoftMaskFraction);
        Assert.InRange(soft, 0.2, 0.6);            // 831,507 of 2.3 M bases are soft-masked
        using var fasta = IndexedFasta.Open(copy);
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var w = windows[rng.Next(windows.Count)];
            Assert.Equal(fasta.Fetch(w.Contig, w.Start, w.End), w.Bases);
        }
    }

    [Fact]
    public void Rng_state_round_trips_and_weights_are_respected()
    {
        var a = new DeterministicRng(42);
        for (int i = 0; i < 10; i++) a.NextUInt64();
        var b = new DeterministicRng(0) { State = a.State };
        Assert.Equal(Enumerable.Range(0, 5).Select(_ => a.NextUInt64()), Enumerable.Range(0, 5).Select(_ => b.NextUInt64()));
        var counts = new int[3];
        var r = new DeterministicRng(1);
        for (int i = 0; i < 30000; i++) counts[r.NextWeighted([1.0, 0.0, 3.0])]++;
        Assert.Equal(0, counts[1]);
        Assert.InRange(counts[2] / (double)counts[0], 2.7, 3.3);
    }
}
