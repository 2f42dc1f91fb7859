using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;

namespace DnaFoundation.Data.Loading;

/// <summary>
/// Streams straight from a manifest's FASTA files, no shards: each row is a random window as HyenaDNA's species
/// sampler draws it — a species by weight, one of its contigs in the split by length, a uniform start — re-drawn
/// when it has more N than allowed. Needs random access (plain or bgzip FASTA; indexes are built when missing).
/// Never ends; every window of rows is a pure function of (seed, rank, window).
/// </summary>
public sealed class FastaSampleSource : IRowSource, IDisposable
{
    private readonly LoaderOptions o;
    private readonly WindowOptions w;
    private readonly List<(SpeciesGenome Species, IndexedFasta Fasta, FaiEntry[] Contigs, double[] Lengths)> genomes = [];
    private readonly double[] weights;
    public const int RowsPerWindow = 1024;

    public FastaSampleSource(GenomeManifest manifest, DataSplit split, WindowOptions window, LoaderOptions options, string? dataDir = null)
    {
        o = options;
        w = window;
        foreach (var s in manifest.Species.Where(s => s.Weight > 0))
        {
            var fasta = IndexedFasta.Open(GenomeFiles.Resolve(manifest, s, dataDir));
            var contigs = fasta.Index.Entries.Where(e => s.SplitsOrDefault.SplitOf(e.Name) == split && e.Length >= window.Length).ToArray();
            if (contigs.Length == 0) { fasta.Dispose(); continue; }
            genomes.Add((s, fasta, contigs, contigs.Select(c => (double)c.Length).ToArray()));
        }
        if (genomes.Count == 0) throw new DnaInputException($"no contig of split '{split}' is at least {window.Length} bases long", manifest.SourcePath);
        weights = genomes.Select(g => g.Species.Weight).ToArray();
    }

    public long? WindowsPerEpoch => null;

    public ShardRow[] ReadWindow(int epoch, long window)
    {
        var rng = DeterministicRng.Derive(o.Seed, epoch, o.Rank, o.WorldSize, window, 0xFA57);
        var rows = new ShardRow[RowsPerWindow];
        var bases = new byte[w.Length];
        int maxN = (int)Math.Floor(w.MaxNFraction * w.Length);
        for (int i = 0; i < rows.Length; i++)
        {
            for (int attempt = 0; ; attempt++)
            {
                var g = genomes[rng.NextWeighted(weights)];
                var c = g.Contigs[rng.NextWeighted(g.Lengths)];
                long start = rng.NextInt64(c.Length - w.Length + 1);
                g.Fasta.Fetch(c, start, bases);
                int n = 0;
                foreach (var b in bases) if (NucleotideAlphabet.IsN(b)) n++;
                if (n > maxN && attempt < 1000) continue;
                var gw = new GenomeWindow(g.Species.Name, c.Name, start, start + w.Length, '+', (byte[])bases.Clone());
                rows[i] = new ShardRow(gw.Species, gw.Contig, gw.Start, gw.End, '+', gw.SoftMaskFraction, Sequence: gw.Sequence);
                break;
            }
        }
        return rows;
    }

    public void Dispose()
    {
        foreach (var g in genomes) g.Fasta.Dispose();
    }
}
