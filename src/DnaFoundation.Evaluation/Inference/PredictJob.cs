using DnaFoundation.Core;
using DnaFoundation.Data.Reference;
using DnaFoundation.Model.Inference;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>
/// What <c>dnafm predict</c> runs. Exactly one input kind: <see cref="Input"/> (CSV/TSV/FASTA sequences),
/// <see cref="Regions"/> (a BED) with <see cref="Genome"/>, or <see cref="Tiles"/> / <see cref="GenomeWide"/> with
/// <see cref="Genome"/> and <see cref="Tiling"/>. Each output's format follows its extension: .tsv/.txt or .parquet
/// (table), .bedgraph (tracks), .bed (positive intervals).
/// </summary>
public sealed record PredictRequest
{
    /// <summary>The fine-tuned model directory (key <c>model</c>).</summary>
    public required string Model { get; init; }

    /// <summary>A tokenizer other than the model directory's (key <c>tokenizer</c>).</summary>
    public string? Tokenizer { get; init; }

    /// <summary>Sequences: CSV/TSV with a sequence column, FASTA or FASTA.gz (key <c>input</c>).</summary>
    public string? Input { get; init; }

    /// <summary>A BED of regions to predict on, cut from <see cref="Genome"/> (key <c>regions</c>).</summary>
    public string? Regions { get; init; }

    /// <summary>The reference FASTA (plain or bgzip, indexed) for regions and tiles (key <c>genome</c>).</summary>
    public string? Genome { get; init; }

    /// <summary>Regions to tile, samtools syntax <c>chr:start-end</c>, 1-based inclusive (key <c>tiles</c>).</summary>
    public IReadOnlyList<string> Tiles { get; init; } = [];

    /// <summary>Tile every contig of <see cref="Genome"/> (key <c>genome_wide</c>).</summary>
    public bool GenomeWide { get; init; }

    /// <summary>Window and stride for tiles (key <c>tiling</c>).</summary>
    public TilingOptions Tiling { get; init; } = new();

    /// <summary>Output files, by extension (key <c>outputs</c>).</summary>
    public required IReadOnlyList<string> Outputs { get; init; }

    /// <summary>Batching, RC averaging, threshold, max length (key <c>options</c>).</summary>
    public PredictOptions Options { get; init; } = new();
}

/// <summary>What a prediction run did.</summary>
/// <param name="Predicted">Inputs predicted.</param>
/// <param name="SkippedAllN">Tiles of N only, left out.</param>
/// <param name="Truncated">Inputs longer than the max length (only their first bases were seen).</param>
/// <param name="Files">Every file written.</param>
/// <param name="Task">The model's task, labels and max length.</param>
public sealed record PredictSummary(long Predicted, long SkippedAllN, long Truncated, IReadOnlyList<string> Files, ModelTask Task);

/// <summary>The library entry point behind <c>dnafm predict</c>: read inputs, predict (streaming), write every output atomically.</summary>
public sealed class PredictJob(Device device, IProgress<ProgressInfo>? progress = null)
{
    /// <summary>Runs the request; outputs appear only when every input was predicted.</summary>
    public PredictSummary Run(PredictRequest req, CancellationToken cancel = default)
    {
        int kinds = (req.Input is null ? 0 : 1) + (req.Regions is null ? 0 : 1) + (req.Tiles.Count > 0 || req.GenomeWide ? 1 : 0);
        if (kinds != 1) throw new DnaInputException("give exactly one kind of input: 'input' (sequences), 'regions' (a BED, with 'genome') or 'tiles' / 'genome_wide' (with 'genome')");
        if (req.Tiles.Count > 0 && req.GenomeWide) throw new DnaInputException("'tiles' and 'genome_wide' exclude each other");
        if (req.Input is null && req.Genome is null) throw new DnaInputException("regions and tiles are cut from a reference: give 'genome' (an indexed FASTA)");
        if (req.Outputs.Count == 0) throw new DnaInputException("give at least one output ('outputs': .tsv, .parquet, .bedgraph or .bed)");
        ConfigLoader.Validate(req.Tiling, "tiling", "tiling.");
        foreach (var o in req.Outputs) _ = KindOf(o);

        using var predictor = Predictor.Load(req.Model, device, req.Options, req.Tokenizer);
        using var genome = req.Genome is null ? null : FastaGenome.Open(req.Genome);
        GenomeTiler? tiler = null;
        IEnumerable<PredictionInput> inputs;
        long? total = null;
        if (req.Input is not null) inputs = PredictionInputs.Sequences(req.Input);
        else if (req.Regions is not null) inputs = PredictionInputs.Regions(req.Regions, genome!);
        else
        {
            var regions = req.GenomeWide ? GenomeTiler.WholeGenome(genome!) : GenomeTiler.Parse(req.Tiles, genome!);
            tiler = new GenomeTiler(genome!, regions, req.Tiling);
            total = tiler.TotalWindows;
            inputs = tiler.Windows();
        }
        bool genomic = req.Input is null;
        var sinks = new List<IPredictionSink>();
        try
        {
            foreach (var o in req.Outputs)
                sinks.Add(KindOf(o) switch
                {
                    OutputKind.Table => new PredictionTable(o, predictor.Task, genomic),
                    OutputKind.BedGraph => new BedGraphTracks(o, predictor.Task, sortedInput: tiler is not null),
                    _ => new PositiveIntervals(o, predictor.Task),
                });
            long predicted = 0, truncated = 0, reported = 0;
            foreach (var p in predictor.Predict(inputs, cancel: cancel))
            {
                foreach (var s in sinks) s.Add(p);
                predicted++;
                if (p.Truncated) truncated++;
                // Windows done: predicted, plus the N-only ones skipped so far. Not the tiler's position: the runner reads
                // ahead (its sort window), so that reaches the total long before the predictions do.
                long done = predicted + (tiler?.SkippedAllN ?? 0);
                if (progress is not null && (done - reported >= 256 || done == total))
                {
                    reported = done;
                    progress.Report(new ProgressInfo("predict", done, total, tiler is null ? "sequences" : "windows"));
                }
            }
            if (predicted == 0) throw new DnaInputException("nothing to predict: every window was N", req.Genome);
            long final = predicted + (tiler?.SkippedAllN ?? 0);
            if (reported != final || total != final) progress?.Report(new ProgressInfo("predict", final, final, tiler is null ? "sequences" : "windows"));
            var files = sinks.SelectMany(s => s.Commit()).ToList();
            return new PredictSummary(predicted, tiler?.SkippedAllN ?? 0, truncated, files, predictor.Task);
        }
        finally
        {
            foreach (var s in sinks) s.Dispose();
        }
    }

    private enum OutputKind { Table, BedGraph, Bed }

    private static OutputKind KindOf(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".tsv" or ".txt" or ".parquet" => OutputKind.Table,
            ".bedgraph" or ".bg" => OutputKind.BedGraph,
            ".bed" => OutputKind.Bed,
            _ => throw new DnaInputException($"output '{path}': the extension picks the format: .tsv or .parquet (table), .bedgraph (tracks), .bed (positive intervals)"),
        };
    }
}
