using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Windows;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Distributed;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Data;

/// <summary>
/// Micro-batches of windows cut from genome regions held in memory. Training order: window i of rank r is drawn
/// from a counter-based hash of (seed, r + world·i), so the stream is a pure function of the counter and the
/// saved state is just that counter (exact resume, no replay). Validation order: the regions tiled left to right.
/// Windows with too many N are skipped deterministically. With data.pack each row is instead exactly max_length
/// tokens read from the window's start on its strand (<see cref="PackedRow"/>), so rows carry no padding and lose no
/// tokens whatever the bases per token; the counter stays the whole state.
/// </summary>
public sealed class GenomeWindowSource : IBatchSource, IWorldResizable
{
    private readonly GenomeRegions regions;
    private readonly DnaTokenizer tokenizer;
    private readonly GenomeDataConfig config;
    private readonly int batchSize, maxTokens, rank, world;
    private readonly ulong seed;
    private readonly bool sequential;
    private readonly IReadOnlyList<BedLabels> regionBeds, chromatinBeds;
    private long next;

    public GenomeWindowSource(GenomeRegions regions, DnaTokenizer tokenizer, GenomeDataConfig config, int batchSize, int maxTokens,
        long seed, bool sequential, IReadOnlyList<BedLabels>? regionBeds = null, IReadOnlyList<BedLabels>? chromatinBeds = null,
        int rank = 0, int world = 1)
    {
        if (regions.TotalWindows(config.WindowBp) == 0)
            throw new DnaInputException($"no region is at least data.window_bp = {config.WindowBp} bp long");
        this.regions = regions;
        this.tokenizer = tokenizer;
        this.config = config;
        this.batchSize = batchSize;
        this.maxTokens = maxTokens;
        this.seed = (ulong)seed;
        this.sequential = sequential;
        this.regionBeds = regionBeds ?? [];
        this.chromatinBeds = chromatinBeds ?? [];
        this.rank = rank;
        this.world = world;
    }

    public int RegionClasses => regionBeds.Count + 1;

    public int ChromatinFeatures => chromatinBeds.Count;

    /// <summary>One row: the stretch of a region it was encoded from (offsets index it), and the bases its tokens cover.</summary>
    private readonly record struct Row(GenomeRegions.Region Region, long From, int Length, DnaEncoding Encoding, long CoveredFrom, long CoveredTo, bool Truncated);

    public TrainingBatch Next()
    {
        var ids = new long[batchSize * maxTokens];
        var mask = new long[batchSize * maxTokens];
        var soft = new bool[batchSize * maxTokens];
        var regionLabels = regionBeds.Count > 0 ? new long[batchSize * maxTokens] : null;
        var chromatin = chromatinBeds.Count > 0 ? new float[batchSize * chromatinBeds.Count] : null;
        long tokens = 0;
        int truncated = 0;
        for (int b = 0; b < batchSize; b++)
        {
            var (region, from, length, e, coveredFrom, coveredTo, cut) = config.Pack ? NextPackedRow() : NextWindowRow();
            int row = b * maxTokens;
            for (int t = 0; t < e.Length; t++)
            {
                ids[row + t] = e.Ids[t];
                mask[row + t] = e.AttentionMask[t];
                soft[row + t] = e.SoftMasked[t];
            }
            tokens += e.TokenCount;
            if (cut) truncated++;
            if (regionLabels is not null)
            {
                var classes = new int[length];
                var painted = new bool[length];
                for (int c = regionBeds.Count - 1; c >= 0; c--) // first listed wins: paint it last
                {
                    Array.Clear(painted);
                    regionBeds[c].Paint(region.Contig, region.Start + from, painted);
                    for (int p = 0; p < painted.Length; p++) if (painted[p]) classes[p] = c + 1;
                }
                for (int t = 0; t < maxTokens; t++)
                {
                    var span = t < e.Length ? e.Offsets[t] : default;
                    bool content = t < e.Length && e.AttentionMask[t] == 1 && span.Length > 0 && !tokenizer.IsSpecial(e.Ids[t]);
                    regionLabels[row + t] = content ? classes[(span.Start + span.End - 1) / 2] : -100;
                }
            }
            if (chromatin is not null)
            {
                long mid = region.Start + (coveredFrom + coveredTo) / 2;
                long binStart = mid - config.ChromatinBinBp / 2, binEnd = binStart + config.ChromatinBinBp;
                for (int f = 0; f < chromatinBeds.Count; f++)
                    chromatin[b * chromatinBeds.Count + f] = 2 * chromatinBeds[f].Coverage(region.Contig, binStart, binEnd) >= config.ChromatinBinBp ? 1f : 0f;
            }
        }
        long[] shape = [batchSize, maxTokens];
        return new TrainingBatch(
            tensor(ids, shape), tensor(mask, shape), tensor(soft, shape),
            regionLabels is null ? null : tensor(regionLabels, shape),
            chromatin is null ? null : tensor(chromatin, [batchSize, chromatinBeds.Count]),
            tokens, truncated);
    }

    /// <summary>A window of window_bp bases, padded to max_length tokens or truncated there (the frame kept).</summary>
    private Row NextWindowRow()
    {
        int w = config.WindowBp;
        for (int attempt = 0; ; attempt++)
        {
            var (region, start, reverse) = Draw();
            if (regions.NFraction(region, start, w) <= config.MaxNFraction)
            {
                var e = tokenizer.Encode(region.Bases.AsSpan((int)start, w), new EncodeOptions { MaxLength = maxTokens, PadToMaxLength = true, ReverseComplement = reverse });
                return new Row(region, start, w, e, start, start + w, e.BasesConsumed < w);
            }
            if (attempt > 10_000) throw TooMuchN();
        }
    }

    /// <summary>
    /// A <see cref="PackedRow"/>: exactly max_length tokens read from the drawn window's start (forward) or end
    /// (reverse), the stretch lengthened within the region when window_bp bases hold too few tokens. A draw too near
    /// the region's edge to fill a row, or whose covered bases have too much N, is skipped like an N-rich window.
    /// </summary>
    private Row NextPackedRow()
    {
        for (int attempt = 0; ; attempt++)
        {
            var (region, start, reverse) = Draw();
            if (Packed(region, start, reverse) is { } row) return row;
            if (attempt > 10_000) throw TooMuchN();
        }
    }

    private Row? Packed(GenomeRegions.Region region, long start, bool reverse)
    {
        long end = start + config.WindowBp;
        for (int length = config.WindowBp; ; length = PackedRow.Longer(length))
        {
            long from = reverse ? Math.Max(0, end - length) : start;
            long to = reverse ? end : Math.Min(region.Bases.Length, start + length);
            int n = (int)(to - from);
            if (PackedRow.Encode(tokenizer, region.Bases.AsSpan((int)from, n), maxTokens, reverse) is { } e)
            {
                var (a, b) = PackedRow.Covered(e, n, reverse);
                return regions.NFraction(region, from + a, b - a) <= config.MaxNFraction ? new Row(region, from, n, e, from + a, from + b, false) : null;
            }
            if (n < length) return null;   // the region ends before the row is full
        }
    }

    private DnaInputException TooMuchN() =>
        new($"{regions.Source}: almost every {config.WindowBp}-bp window has more than {config.MaxNFraction:P0} N{(config.Pack ? $" or too few bases left in its region to hold {maxTokens} tokens" : "")}; check data.train_regions / data.validation_regions");

    /// <summary>
    /// The next window the counter gives: training, a hash of (seed, rank + world·i) picks its start among all
    /// window_bp-bp windows of the regions and flips the strand coin; validation, tile i (window j starts at j·w
    /// within the concatenated regions; cycles when exhausted), forward.
    /// </summary>
    private (GenomeRegions.Region Region, long Start, bool Reverse) Draw()
    {
        int w = config.WindowBp;
        long index = rank + world * next++;
        if (sequential)
        {
            var (tile, at) = regions.Tile(index % regions.TotalTiles(w), w);
            return (tile, at, false);
        }
        ulong h = SplitMix64(seed ^ SplitMix64((ulong)index));
        var (region, start) = regions.Window((long)(h % (ulong)regions.TotalWindows(w)), w);
        return (region, start, config.ReverseComplement && (SplitMix64(h) & 1) == 1);
    }

    internal static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public JsonNode SaveState() => new JsonObject { ["kind"] = "genome-windows", ["next"] = next, ["rank"] = rank, ["world"] = world };

    public void RestoreState(JsonNode state)
    {
        if (state["kind"]?.GetValue<string>() != "genome-windows")
            throw new DnaInputException("the checkpoint's loader state is not a genome-window stream (was the data config changed?)");
        if (state["world"]?.GetValue<int>() != world)
            throw new DnaInputException($"the checkpoint was written by {state["world"]} ranks; resume with the same number of ranks ({world} now)");
        next = state["next"]!.GetValue<long>();
    }

    /// <summary>
    /// Continues on another number of ranks: every new rank starts at its first window past the last one any old
    /// rank read (<see cref="RankStreamResize"/>), so nothing is skipped or read twice.
    /// </summary>
    public JsonNode StateForWorld(IReadOnlyList<JsonNode> oldStates)
    {
        foreach (var old in oldStates)
            if (old["kind"]?.GetValue<string>() != "genome-windows")
                throw new DnaInputException("the checkpoint's loader state is not a genome-window stream (was the data config changed?)");
        return new JsonObject { ["kind"] = "genome-windows", ["next"] = RankStreamResize.Counter(oldStates, rank, world), ["rank"] = rank, ["world"] = world };
    }

    public void Dispose() { }
}
