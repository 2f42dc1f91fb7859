using DnaFoundation.Core;
using DnaFoundation.Evaluation.Metrics;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;
using DnaFoundation.Data.Reference;

namespace DnaFoundation.Evaluation.Variants;

/// <summary>One row of score-variants output (TSV or Parquet).</summary>
public sealed class VariantRow
{
    public string Chrom { get; set; } = "";
    public long Pos { get; set; }
    public string Id { get; set; } = "";
    public string Ref { get; set; } = "";
    public string Alt { get; set; } = "";
    public string? Contig { get; set; }
    public string Status { get; set; } = "";
    public string? FastaRef { get; set; }
    public double? Llr { get; set; }
    public double? LlrForward { get; set; }
    public double? LlrReverse { get; set; }
    /// <summary>token, nucleotide_marginal or single_base (forward/reverse when the strands differ); see <see cref="LlrMethods"/>.</summary>
    public string? LlrMethod { get; set; }
    public double? ClassifierDelta { get; set; }
    public double? EmbeddingDistance { get; set; }
    public int? Label { get; set; }
}

public sealed record VariantScoringRequest(
    string Model, string? Tokenizer, string Vcf, string Fasta, string Output, int Window, VariantScores Scores,
    int ClassIndex, IReadOnlyDictionary<string, int> IdLabels, InferenceOptions? Inference = null);

/// <summary>AUROC of each score against labels, oriented so that higher means "more likely labelled 1".</summary>
public sealed record VariantAuroc(string Score, string Orientation, int Positives, int Negatives, double Auroc);

/// <summary>The library entry point behind <c>dnafm score-variants</c>.</summary>
public sealed class VariantScoringJob(Device device, IProgress<ProgressInfo>? progress = null)
{
    public (IReadOnlyList<VariantRow> Rows, IReadOnlyList<VariantAuroc> Aurocs) Run(VariantScoringRequest req)
    {
        var heads = (req.Scores.HasFlag(VariantScores.Llr) ? ModelHeads.MaskedLm : ModelHeads.None)
                    | (req.Scores.HasFlag(VariantScores.Classifier) ? ModelHeads.Sequence : ModelHeads.None);
        var tokenizer = DnaTokenizers.Load(req.Tokenizer ?? req.Model);
        // Encoder-only loading drops heads we do not use; a head we do use must come from the file, never be fresh.
        var (model, report) = ModelDirectory.Load(req.Model, heads, HeadLoading.EncoderOnly, device);
        using var _m = model;
        if (report.Initialized.Count > 0)
            throw new DnaInputException($"the model directory lacks the weights of the head these scores need ({string.Join(", ", report.Initialized.Take(3))}…)", req.Model);
        CheckHeads(model, req);
        using var genome = FastaGenome.Open(req.Fasta);
        if (req.Window > model.Config.MaxPositionEmbeddings && model.Config.PositionEmbeddingType == PositionScheme.Absolute)
            throw new DnaInputException($"a window of {req.Window} bp is longer than the model's {model.Config.MaxPositionEmbeddings} positions");
        var prep = new VariantPreparer(genome, req.Window);
        var scorer = new VariantScorer(model, tokenizer, device, req.ClassIndex, req.Inference);
        var records = VcfReader.Read(req.Vcf).ToList();
        var rows = new List<VariantRow>(records.Count);
        foreach (var s in scorer.ScoreAll(records.Select(prep.Prepare), req.Scores))
        {
            rows.Add(Row(s, req.IdLabels));
            progress?.Report(new ProgressInfo("score-variants", rows.Count, records.Count, "variants"));
        }
        TableWriter.Write(req.Output, rows);
        return (rows, Aurocs(rows));
    }

    /// <summary>A score as an output row (the table <c>dnafm score-variants</c> and <c>serve</c> both write).</summary>
    public static VariantRow Row(VariantScore s, IReadOnlyDictionary<string, int>? idLabels = null)
    {
        var rec = s.Variant.Record;
        return new VariantRow
        {
            Chrom = rec.Chrom, Pos = rec.Position, Id = rec.Id, Ref = rec.Ref, Alt = rec.Alt, Contig = s.Variant.Contig,
            Status = s.Status, FastaRef = s.Variant.Status == VariantStatus.RefMismatch ? s.Variant.ReferenceBases : null,
            Llr = s.Llr, LlrForward = s.LlrForward, LlrReverse = s.LlrReverse, LlrMethod = s.LlrMethod, ClassifierDelta = s.ClassifierDelta,
            EmbeddingDistance = s.EmbeddingDistance, Label = idLabels is null ? null : LabelOf(rec.Id, idLabels),
        };
    }

    private static void CheckHeads(DnaModel model, VariantScoringRequest req)
    {
        if (req.Scores.HasFlag(VariantScores.Classifier) && model.Config.Architectures?.FirstOrDefault()?.EndsWith("ForSequenceClassification", StringComparison.Ordinal) != true)
            throw new DnaInputException("the classifier score needs a fine-tuned sequence classifier (config architectures *ForSequenceClassification)", req.Model);
    }

    /// <summary>The label of the first ID prefix that matches (e.g. Clinvar → 1, 1000G → 0), or null.</summary>
    public static int? LabelOf(string id, IReadOnlyDictionary<string, int> prefixes)
    {
        foreach (var (prefix, label) in prefixes)
            if (id.StartsWith(prefix, StringComparison.Ordinal)) return label;
        return null;
    }

    /// <summary>
    /// Scored, labelled rows only. Orientation: a damaging variant should be less likely (−LLR), change the
    /// classifier more (|Δ|) and move the embedding more (distance).
    /// </summary>
    public static IReadOnlyList<VariantAuroc> Aurocs(IReadOnlyList<VariantRow> rows)
    {
        var result = new List<VariantAuroc>();
        void Add(string name, string orientation, Func<VariantRow, double?> score)
        {
            var scored = rows.Where(r => r.Label is not null && score(r) is double d && double.IsFinite(d)).ToList();
            if (scored.Count == 0) return;
            var truth = scored.Select(r => r.Label == 1).ToArray();
            result.Add(new VariantAuroc(name, orientation, truth.Count(t => t), truth.Count(t => !t),
                RankingMetrics.Auroc(truth, scored.Select(r => score(r)!.Value).ToArray())));
        }
        Add("llr", "-llr", r => -r.Llr);
        Add("classifier_delta", "|delta|", r => r.ClassifierDelta is double d ? Math.Abs(d) : null);
        Add("embedding_distance", "distance", r => r.EmbeddingDistance);
        return result;
    }
}
