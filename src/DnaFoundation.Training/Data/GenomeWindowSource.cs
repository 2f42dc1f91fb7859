using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Distributed;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Data;

/// <summary>
/// Micro-batches of windows cut from genome regions held in memory. Training order: window i of rank r is drawn
/// from a counter-based hash of (seed, r + world·i), so the stream is a pure function of the counter and the
/// saved state is just that counter (exact resume, no replay). Validation order: the regions tiled left to right.
/// Windows with too many N are skipped deterministically.
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

    public TrainingBatch Next()
    {
        var ids = new long[batchSize * maxTokens];
        var mask = new long[batchSize * maxTokens];
        var soft = new bool[batchSize * maxTokens];
        var regionLabels = regionBeds.Count > 0 ? new long[batchSize * maxTokens] : null;
        var chromatin = chromatinBeds.Count > 0 ? new float[batchSize * chromatinBeds.Count] : null;
        long tokens = 0;
        var bases = new char[config.WindowBp];
        var painted = new bool[config.WindowBp];
        var classes = new int[config.WindowBp];
        for (int b = 0; b < batchSize; b++)
        {
            var (region, start, reverse) = NextWindow();
            regions.Copy(region, start, bases);
            var e = tokenizer.Encode(bases, new EncodeOptions { MaxLength = maxTokens, PadToMaxLength = true, ReverseComplement = reverse });
            int row = b * maxTokens;
            for (int t = 0; t < maxTokens; t++)
            {
                ids[row + t] = e.Ids[t];
                mask[row + t] = e.AttentionMask[t];
                soft[row + t] = e.SoftMasked[t];
            }
            tokens += e.TokenCount;
            if (regionLabels is not null)
            {
                Array.Clear(classes);
                for (int c = regionBeds.Count - 1; c >= 0; c--) // first listed wins: paint it last
                {
                    Array.Clear(painted);
                    regionBeds[c].Paint(region.Contig, region.Start + start, painted);
                    for (int p = 0; p < painted.Length; p++) if (painted[p]) classes[p] = c + 1;
                }
                for (int t = 0; t < maxTokens; t++)
                {
                    var span = e.Offsets[t];
                    bool content = e.AttentionMask[t] == 1 && span.Length > 0 && !tokenizer.IsSpecial(e.Ids[t]);
                    regionLabels[row + t] = content ? classes[(span.Start + span.End - 1) / 2] : -100;
                }
            }
            if (chromatin is not null)
            {
                long mid = region.Start + start + config.WindowBp / 2;
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
            tokens);
    }

    private (GenomeRegions.Region Region, long Start, bool Reverse) NextWindow()
    {
        int w = config.WindowBp;
        long total = regions.TotalWindows(w);
        for (int attempt = 0; ; attempt++)
        {
            long index = rank + world * next++;
            if (sequential)
            {
                // Tiling: window j starts at j·w within the concatenated regions; cycles when exhausted.
                long tiles = regions.TotalTiles(w);
                var (region, start) = regions.Tile(index % tiles, w);
                if (regions.NFraction(region, start, w) <= config.MaxNFraction) return (region, start, false);
            }
            else
            {
                ulong h = SplitMix64(seed ^ SplitMix64((ulong)index));
                var (region, start) = regions.Window((long)(h % (ulong)total), w);
                if (regions.NFraction(region, start, w) <= config.MaxNFraction)
                    return (region, start, config.ReverseComplement && (SplitMix64(h) & 1) == 1);
            }
            if (attempt > 10_000)
                throw new DnaInputException($"{regions.Source}: almost every {w}-bp window has more than {config.MaxNFraction:P0} N; check data.train_regions / data.validation_regions");
        }
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
    /// Continues on another number of ranks: old rank r read global windows r + world·i for i &lt; its next, so every
    /// new rank starts at the first counter whose windows lie beyond the last one read. When the number of windows
    /// read divides by the new world size (the usual case: global batch × steps) nothing is skipped.
    /// </summary>
    public JsonNode StateForWorld(IReadOnlyList<JsonNode> oldStates)
    {
        long lastRead = -1;
        foreach (var old in oldStates)
        {
            if (old["kind"]?.GetValue<string>() != "genome-windows")
                throw new DnaInputException("the checkpoint's loader state is not a genome-window stream (was the data config changed?)");
            long oldNext = old["next"]!.GetValue<long>();
            if (oldNext > 0) lastRead = Math.Max(lastRead, old["rank"]!.GetValue<int>() + old["world"]!.GetValue<int>() * (oldNext - 1));
        }
        return new JsonObject { ["kind"] = "genome-windows", ["next"] = lastRead < 0 ? 0 : lastRead / world + 1, ["rank"] = rank, ["world"] = world };
    }

    public void Dispose() { }
}
