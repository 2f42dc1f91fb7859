using System.Globalization;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Reference;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>
/// What <c>dnafm motifs</c> runs. Inputs: a labelled table (<see cref="Input"/>: sequence,label; positives are
/// <see cref="PositiveLabel"/>, the rest negatives), or two BED files cut from <see cref="Genome"/>
/// (<see cref="Positives"/>, <see cref="Negatives"/>; instances then get genome coordinates and a BED).
/// </summary>
public sealed record MotifsRequest
{
    /// <summary>A model directory (fine-tuned, usually; any encoder gives attentions).</summary>
    public required string Model { get; init; }
    /// <summary>A tokenizer other than the model directory's.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>A labelled CSV/TSV (GUE layout: sequence,label).</summary>
    public string? Input { get; init; }
    /// <summary>The label that marks positives in <see cref="Input"/>.</summary>
    public int PositiveLabel { get; init; } = 1;
    /// <summary>BED of positive regions (with <see cref="Genome"/>).</summary>
    public string? Positives { get; init; }
    /// <summary>BED of negative regions (with <see cref="Genome"/>).</summary>
    public string? Negatives { get; init; }
    /// <summary>Reference FASTA for the BED inputs.</summary>
    public string? Genome { get; init; }
    /// <summary>Output folder: motifs.meme, motifs.tsv, logos/, motifs.bed.</summary>
    public required string Output { get; init; }
    /// <summary>Attention layer (0-based; −1 = last).</summary>
    public int Layer { get; init; } = -1;
    /// <summary>Which attention becomes a base's score.</summary>
    public AttentionSource Source { get; init; } = AttentionSource.Cls;
    /// <summary>Tokens per sequence; null = the model's task.json max length, else its positions (≤ 512 without learned positions).</summary>
    public int? MaxLength { get; init; }
    /// <summary>The method's thresholds.</summary>
    public MotifOptions Options { get; init; } = new();
    /// <summary>Batching.</summary>
    public InferenceOptions Inference { get; init; } = InferenceOptions.Default;
}

/// <summary>What a motifs run found and wrote.</summary>
public sealed record MotifsSummary(MotifReport Report, IReadOnlyList<string> Files);

/// <summary>The library entry point behind <c>dnafm motifs</c>: read and check inputs, attention of positives, discovery, outputs (each atomic).</summary>
public sealed class MotifsJob(Device device, IProgress<ProgressInfo>? progress = null)
{
    public MotifsSummary Run(MotifsRequest req, CancellationToken cancel = default)
    {
        bool table = req.Input is not null, beds = req.Positives is not null || req.Negatives is not null;
        if (table == beds) throw new DnaInputException("give either a labelled CSV/TSV input or positive and negative BED files (with a genome)");
        if (beds && (req.Positives is null || req.Negatives is null || req.Genome is null))
            throw new DnaInputException("BED inputs need positive and negative BED files and a genome");
        ConfigLoader.Validate(req.Options, "motif options", "");

        List<MotifInput> inputs;
        if (table)
        {
            var rows = LabeledSequenceReader.ReadSingleLabel(req.Input!);
            if (!rows.Any(r => r.Label == req.PositiveLabel))
                throw new DnaInputException($"no row has the positive label {req.PositiveLabel} (labels present: {string.Join(", ", rows.Select(r => r.Label).Distinct().Order())})", req.Input);
            inputs = rows.Select(r => new MotifInput(r.Id, r.Sequence, r.Label == req.PositiveLabel, null)).ToList();
        }
        else
        {
            using var genome = FastaGenome.Open(req.Genome!);
            inputs = PredictionInputs.Regions(req.Positives!, genome).Select(r => new MotifInput(r.Id, r.Sequence, true, null, r.Chrom, r.Start))
                .Concat(PredictionInputs.Regions(req.Negatives!, genome).Select(r => new MotifInput(r.Id, r.Sequence, false, null, r.Chrom, r.Start))).ToList();
        }

        var (model, tokenizer) = ModelSource.LoadEncoder(req.Model, req.Tokenizer, device);
        double[][] scores;
        using (model)
        {
            int maxTokens = req.MaxLength ?? ModelTask.Read(req.Model)?.MaxLength
                ?? (model.Config.PositionEmbeddingType == PositionScheme.Absolute ? model.Config.MaxPositionEmbeddings : 512);
            var runner = new InferenceRunner(model, device, req.Inference);
            var positives = inputs.Where(i => i.Positive).ToList();
            scores = BaseAttention.Compute(runner, tokenizer, positives.Select(i => i.Sequence), maxTokens, req.Layer, req.Source, cancel).ToArray();
            int k = 0;
            inputs = inputs.Select(i => i.Positive ? i with { Scores = scores[k++] } : i).ToList();
        }
        progress?.Report(new ProgressInfo("attention", scores.Length, scores.Length, "positives"));
        var report = MotifDiscovery.Discover(inputs, req.Options);

        var files = new List<string>();
        var meme = Path.Combine(req.Output, "motifs.meme");
        MemeMotifFile.Write(meme, report.Motifs, report.Background, report.Strands);
        files.Add(meme);
        var tsv = Path.Combine(req.Output, "motifs.tsv");
        WriteTable(tsv, report);
        files.Add(tsv);
        foreach (var m in report.Motifs)
        {
            var logo = Path.Combine(req.Output, "logos", m.Id + ".png");
            SequenceLogo.WriteInformationLogo(logo, m.Pwm, string.Create(CultureInfo.InvariantCulture,
                $"{m.Id} {m.Consensus}: {m.PositivesWith}/{report.Positives} positives, {m.NegativesWith}/{report.Negatives} negatives, adj. p {m.AdjustedP:0.##e+00}"));
            files.Add(logo);
        }
        if (inputs.Any(i => i.Chrom is not null))
        {
            var bed = Path.Combine(req.Output, "motifs.bed");
            WriteBed(bed, report);
            files.Add(bed);
        }
        return new MotifsSummary(report, files);
    }

    private static void WriteTable(string path, MotifReport r)
    {
        var sb = new StringBuilder("motif_id\tconsensus\twidth\tinstances\tpositives_with\tpositives_total\tnegatives_with\tnegatives_total\tp_value\tadjusted_p\twords\n");
        foreach (var m in r.Motifs)
            sb.Append(string.Create(CultureInfo.InvariantCulture,
                $"{m.Id}\t{m.Consensus}\t{m.Pwm.Length}\t{m.Instances.Count}\t{m.PositivesWith}\t{r.Positives}\t{m.NegativesWith}\t{r.Negatives}\t{m.PValue:G6}\t{m.AdjustedP:G6}\t{string.Join(',', m.Words)}\n"));
        OutputFiles.WriteText(path, sb.ToString());
    }

    /// <summary>BED6 of every instance in a positive with a locus, with its strand, sorted by chrom and start.</summary>
    private static void WriteBed(string path, MotifReport r)
    {
        var rows = r.Motifs.SelectMany(m => m.Instances.Where(i => i.Input.Chrom is not null)
                .Select(i => (Chrom: i.Input.Chrom!, Start: i.Input.Start + i.Start, End: i.Input.Start + i.Start + i.Bases.Length, m.Id, i.Strand)))
            .OrderBy(x => x.Chrom, StringComparer.Ordinal).ThenBy(x => x.Start).ThenBy(x => x.End).ThenBy(x => x.Id, StringComparer.Ordinal).ThenBy(x => x.Strand);
        var sb = new StringBuilder();
        foreach (var x in rows) sb.Append(string.Create(CultureInfo.InvariantCulture, $"{x.Chrom}\t{x.Start}\t{x.End}\t{x.Id}\t0\t{x.Strand}\n"));
        OutputFiles.WriteText(path, sb.ToString());
    }
}
