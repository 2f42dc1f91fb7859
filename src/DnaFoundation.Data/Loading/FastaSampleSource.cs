using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Loading;

/// <summary>
/// Streams straight from a manifest's FASTA files, no shards: each row is a random window as HyenaDNA's species
/// sampler draws it — a species by weight, one of its contigs in the split by length, a uniform start — re-drawn
/// when it has more N than allowed. Needs random access (plain or bgzip FASTA; indexes are built when missing).
/// Never ends; every window of rows is a pure function of (seed, rank, window).
/// With a packing tokenizer each row is instead a <see cref="PackedRow"/> of exactly MaxTokens tokens read from the
/// drawn start (on the strand of the loader's coin for that row; the stretch is lengthened when it holds too few
/// tokens), stored as ids with the bases it covers as its coordinates.
/// </summary>
public sealed class FastaSampleSource : IRowSource, IDisposable
{
    private readonly LoaderOptions o;
    private readonly WindowOptions w;
    private readonly DnaTokenizer? packing;
    private readonly List<(SpeciesGenome Species, IndexedFasta Fasta, FaiEntry[] Contigs, double[] Lengths)> genomes = [];
    private readonly double[] weights;
    public const int RowsPerWindow = 1024;

    public FastaSampleSource(GenomeManifest manifest, DataSplit split, WindowOptions window, LoaderOptions options, string? dataDir = null, DnaTokenizer? packing = null)
    {
        o = options;
        w = window;
        this.packing = packing;
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

    private readonly record struct Draw(int Genome, FaiEntry Contig, long Start, byte[] Bases);

    public ShardRow[] ReadWindow(int epoch, long window)
    {
        var rng = DeterministicRng.Derive(o.Seed, epoch, o.Rank, o.WorldSize, window, 0xFA57);
        var draws = new Draw[RowsPerWindow];
        for (int i = 0; i < draws.Length; i++) draws[i] = NextDraw(rng);
        if (packing is null)
            return draws.Select(d =>
            {
                var gw = new GenomeWindow(genomes[d.Genome].Species.Name, d.Contig.Name, d.Start, d.Start + w.Length, '+', d.Bases);
                return new ShardRow(gw.Species, gw.Contig, gw.Start, gw.End, '+', gw.SoftMaskFraction, Sequence: gw.Sequence);
            }).ToArray();

        // Packed rows: tokenized in parallel; the few whose stretch held too few tokens are lengthened, and those
        // that cannot be (a contig's end) or whose tokens cover too much N redrawn, afterwards in row order, so the
        // result stays a pure function of the window.
        var packed = new (ShardRow? Row, bool Redraw)[draws.Length];
        Parallel.For(0, draws.Length, i => packed[i] = Packed(draws[i], StreamingLoader.ReverseCoin(o, epoch, window, i)));
        var rows = new ShardRow[draws.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            bool reverse = StreamingLoader.ReverseCoin(o, epoch, window, i);
            var (d, p) = (draws[i], packed[i]);
            for (int attempt = 0; p.Row is null; attempt++)
            {
                for (int length = PackedRow.Longer(d.Bases.Length); p is { Row: null, Redraw: false }; length = PackedRow.Longer(length))
                    p = Lengthened(d, length, reverse) is { } longer ? Packed(longer, reverse) : (null, true);
                if (p.Row is not null) break;
                if (attempt == 1000)
                    throw new DnaInputException($"no stretch of the sampled contigs holds the {o.MaxTokens} tokens of a packed row with at most {w.MaxNFraction:P0} N; lower max_length or turn packing off (data.pack=false)");
                d = NextDraw(rng);
                p = Packed(d, reverse);
            }
            rows[i] = p.Row;
        }
        return rows;
    }

    /// <summary>The next (species, contig, start) by weight, its w.Length bases fetched; redrawn while it has too much N.</summary>
    private Draw NextDraw(DeterministicRng rng)
    {
        for (int attempt = 0; ; attempt++)
        {
            int gi = rng.NextWeighted(weights);
            var g = genomes[gi];
            var c = g.Contigs[rng.NextWeighted(g.Lengths)];
            long start = rng.NextInt64(c.Length - w.Length + 1);
            var bases = new byte[w.Length];
            g.Fasta.Fetch(c, start, bases);
            if (TooManyN(bases) && attempt < 1000) continue;
            return new Draw(gi, c, start, bases);
        }
    }

    private bool TooManyN(ReadOnlySpan<byte> bases)
    {
        int n = 0;
        foreach (var b in bases) if (NucleotideAlphabet.IsN(b)) n++;
        return n > (int)Math.Floor(w.MaxNFraction * bases.Length);
    }

    /// <summary>The draw's stretch lengthened to <paramref name="length"/> bases away from where its row starts reading (null past the contig's end).</summary>
    private Draw? Lengthened(Draw d, int length, bool reverse)
    {
        long start = reverse ? d.Start + d.Bases.Length - length : d.Start;
        if (start < 0 || start + length > d.Contig.Length) return null;
        var bases = new byte[length];
        genomes[d.Genome].Fasta.Fetch(d.Contig, start, bases);
        return d with { Start = start, Bases = bases };
    }

    /// <summary>The row read from the draw's stretch; null with Redraw false when the stretch holds too few tokens, Redraw true when its tokens cover too much N.</summary>
    private (ShardRow? Row, bool Redraw) Packed(Draw d, bool reverse)
    {
        var species = genomes[d.Genome].Species.Name;
        if (PackedRow.Encode(packing!, d.Bases, o.MaxTokens, reverse) is not { } e) return (null, false);
        var (from, to) = PackedRow.Covered(e, d.Bases.Length, reverse);
        // N tokens are short (one base each, or [UNK]): the covered bases, not the stretch, must pass the N limit.
        if (TooManyN(d.Bases.AsSpan(from, to - from))) return (null, true);
        var covered = new GenomeWindow(species, d.Contig.Name, d.Start + from, d.Start + to, reverse ? '-' : '+', d.Bases[from..to]);
        var soft = new byte[e.Length];
        for (int t = 0; t < soft.Length; t++) soft[t] = e.SoftMasked[t] ? (byte)1 : (byte)0;
        return (new ShardRow(species, d.Contig.Name, covered.Start, covered.End, covered.Strand, covered.SoftMaskFraction, InputIds: e.Ids, SoftMask: soft), false);
    }

    public void Dispose()
    {
        foreach (var g in genomes) g.Fasta.Dispose();
    }
}
