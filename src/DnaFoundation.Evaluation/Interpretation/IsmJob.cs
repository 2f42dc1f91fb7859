using System.Globalization;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Reference;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Inference;
using DnaFoundation.Tokenizers;
using ScottPlot;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>Which Δ a scan reports: chosen from the model (a classifier head → probability, else an MLM → LLR), or asked for.</summary>
public enum IsmMode { Auto, Probability, LogOdds, Llr }

/// <summary>
/// What <c>dnafm ism</c> runs. One input kind: <see cref="Sequence"/>, <see cref="Input"/> (CSV/TSV/FASTA) or
/// <see cref="Regions"/> (a BED, with <see cref="Genome"/>: rows then carry genome coordinates).
/// </summary>
public sealed record IsmRequest
{
    /// <summary>A fine-tuned classifier directory (dnafm finetune's final/) or a pretrained MLM directory.</summary>
    public required string Model { get; init; }
    /// <summary>A tokenizer other than the model directory's.</summary>
    public string? Tokenizer { get; init; }
    /// <summary>One sequence, reported as <c>sequence</c>.</summary>
    public string? Sequence { get; init; }
    /// <summary>Sequences from CSV/TSV, FASTA or FASTA.gz.</summary>
    public string? Input { get; init; }
    /// <summary>A BED of regions cut from <see cref="Genome"/>.</summary>
    public string? Regions { get; init; }
    /// <summary>The reference FASTA for <see cref="Regions"/>.</summary>
    public string? Genome { get; init; }
    /// <summary>The output folder: ism.tsv, ID.heatmap.png, ID.logo.png.</summary>
    public required string Output { get; init; }
    /// <summary>What Δ measures.</summary>
    public IsmMode Mode { get; init; } = IsmMode.Auto;
    /// <summary>Classifier: the class (name or index) whose probability is scored; null = class 1 of a two-class head, else required.</summary>
    public string? Class { get; init; }
    /// <summary>Classifier: average forward and reverse-complement predictions.</summary>
    public bool RcAverage { get; init; }
    /// <summary>Batching.</summary>
    public InferenceOptions Inference { get; init; } = InferenceOptions.Default;
    /// <summary>Write the heatmap and logo PNGs.</summary>
    public bool Plots { get; init; } = true;
}

/// <summary>What a scan did: inputs, variants scored, the Δ's meaning and the files written.</summary>
public sealed record IsmSummary(int Inputs, long Variants, IsmScore Score, string? ClassLabel, IReadOnlyList<string> Files);

/// <summary>The library entry point behind <c>dnafm ism</c>: load, check every input, scan, then write the outputs (each atomically).</summary>
public sealed class IsmJob(Device device)
{
    /// <summary>The table's file name in the output folder.</summary>
    public const string TableName = "ism.tsv";

    /// <summary>Runs the request; nothing is written unless every input was scanned.</summary>
    public IsmSummary Run(IsmRequest req, CancellationToken cancel = default)
    {
        int kinds = (req.Sequence is null ? 0 : 1) + (req.Input is null ? 0 : 1) + (req.Regions is null ? 0 : 1);
        if (kinds != 1) throw new DnaInputException("give exactly one input: a sequence, an input file (CSV/TSV/FASTA) or regions (a BED, with a genome)");
        if (req.Regions is not null && req.Genome is null) throw new DnaInputException("regions are cut from a reference: a genome (an indexed FASTA) is needed");
        if (!Directory.Exists(req.Model)) throw new DnaInputException("not a model directory (config.json, model.safetensors, tokenizer)", req.Model);

        using var genome = req.Genome is null ? null : FastaGenome.Open(req.Genome);
        var inputs = req.Sequence is string s ? [new PredictionInput("sequence", Checked(s))]
            : req.Input is not null ? PredictionInputs.Sequences(req.Input).ToList()
            : PredictionInputs.Regions(req.Regions!, genome!).ToList();

        var (ism, label, owned) = Open(req);
        using var _ = owned;
        foreach (var input in inputs) ism.Check(input);
        var results = ism.Run(inputs, cancel).ToList();

        var files = new List<string>();
        var table = Path.Combine(req.Output, TableName);
        WriteTable(table, results);
        files.Add(table);
        if (req.Plots)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in results)
            {
                var name = FileName(r.Input.Id, names);
                var heatmap = Path.Combine(req.Output, name + ".heatmap.png");
                var logo = Path.Combine(req.Output, name + ".logo.png");
                WriteHeatmap(heatmap, r, label);
                SequenceLogo.WriteImportanceLogo(logo, r.Input.Sequence, r.Importance(), Title(r, label), First(r), XLabel(r));
                files.Add(heatmap);
                files.Add(logo);
            }
        }
        return new IsmSummary(results.Count, results.Sum(r => (long)r.Variants.Count), ism.Score, label, files);
    }

    private static string Checked(string sequence)
    {
        var bad = sequence.Select((c, i) => (c, i)).FirstOrDefault(x => !char.IsAsciiLetter(x.c));
        if (bad != default) throw new DnaInputException($"sequence: character '{bad.c}' at position {bad.i + 1} is not a base");
        if (sequence.Length == 0) throw new DnaInputException("the sequence is empty");
        return sequence;
    }

    /// <summary>The scanner the model and mode call for, the scored class's label, and what to dispose.</summary>
    private (SaturationMutagenesis Ism, string? Label, IDisposable Owned) Open(IsmRequest req)
    {
        var config = ModelDirectory.ReadConfig(req.Model);
        var heads = ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault());
        bool classifier = req.Mode switch
        {
            IsmMode.Auto => heads.HasFlag(ModelHeads.Sequence) || ModelTask.Read(req.Model) is not null,
            IsmMode.Llr => false,
            _ => true,
        };
        if (classifier)
        {
            var predictor = Predictor.Load(req.Model, device, new PredictOptions { Inference = req.Inference, RcAverage = req.RcAverage }, req.Tokenizer);
            try
            {
                var labels = predictor.Task.Labels;
                int index = req.Class is null
                    ? labels.Length == 2 ? 1 : throw new DnaInputException($"the model has {labels.Length} classes ({string.Join(", ", labels)}): say which class")
                    : Array.IndexOf(labels, req.Class) is >= 0 and var named ? named
                    : int.TryParse(req.Class, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < labels.Length ? i
                    : throw new DnaInputException($"class '{req.Class}' is not one of the model's labels ({string.Join(", ", labels)}) or an index below {labels.Length}");
                var score = req.Mode == IsmMode.LogOdds ? IsmScore.LogOdds : IsmScore.Probability;
                return (new SaturationMutagenesis(predictor, index, score), labels[index], predictor);
            }
            catch
            {
                predictor.Dispose();
                throw;
            }
        }
        if (req.RcAverage || req.Class is not null) throw new DnaInputException("rc_average and class apply to classifiers; an LLR scan always averages both strands");
        var tokenizer = DnaTokenizers.Load(req.Tokenizer ?? req.Model);
        var (model, _) = ModelDirectory.Load(req.Model, ModelHeads.MaskedLm, HeadLoading.EncoderOnly, device);
        try
        {
            if (model.Config.VocabSize < tokenizer.VocabSize)
                throw new DnaInputException($"the tokenizer has {tokenizer.VocabSize} tokens but the model's vocab_size is {model.Config.VocabSize}", req.Model);
            return (new SaturationMutagenesis(model, tokenizer, device, req.Inference), null, model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>sequence_id, position (1-based in the input), ref, alt, delta; with chrom and genome_position (1-based) when the inputs have loci.</summary>
    private static void WriteTable(string path, IReadOnlyList<IsmResult> results)
    {
        bool genomic = results.Any(r => r.Input.HasLocus);
        OutputFiles.Write(path, tmp =>
        {
            using var w = new StreamWriter(tmp, false, new UTF8Encoding(false));
            w.Write("sequence_id\tposition\tref\talt\tdelta");
            w.WriteLine(genomic ? "\tchrom\tgenome_position" : "");
            foreach (var r in results)
                foreach (var v in r.Variants)
                {
                    w.Write(string.Create(CultureInfo.InvariantCulture, $"{r.Input.Id}\t{v.Offset + 1}\t{v.Ref}\t{v.Alt}\t{(v.Delta is double d ? d.ToString("G9", CultureInfo.InvariantCulture) : "")}"));
                    w.WriteLine(genomic ? string.Create(CultureInfo.InvariantCulture, $"\t{r.Input.Chrom}\t{r.Input.Start + v.Offset + 1}") : "");
                }
        });
    }

    private static string Meaning(IsmResult r, string? label) => r.Score switch
    {
        IsmScore.Probability => $"Δ P({label})",
        IsmScore.LogOdds => $"Δ log-odds({label})",
        _ => "Δ log-likelihood (masked marginal)",
    };

    private static string Title(IsmResult r, string? label) =>
        r.Input.Id + (r.Input.HasLocus && r.Input.Id != PredictionInputs.Locus(r.Input.Chrom!, r.Input.Start, r.Input.End) ? $" ({PredictionInputs.Locus(r.Input.Chrom!, r.Input.Start, r.Input.End)})" : "") + ": " + Meaning(r, label);

    private static long First(IsmResult r) => r.Input.HasLocus ? r.Input.Start + 1 : 1;

    private static string XLabel(IsmResult r) => r.Input.HasLocus ? $"{r.Input.Chrom} position (1-based)" : "position (1-based)";

    /// <summary>Positions × bases (rows A, C, G, T from the top), Δ on a diverging scale symmetric about 0; reference bases grey.</summary>
    private static void WriteHeatmap(string path, IsmResult r, string? label)
    {
        var m = r.Matrix();
        int n = m.GetLength(0);
        var data = new double[4, n];
        double max = 1e-12;
        for (int i = 0; i < n; i++)
            for (int b = 0; b < 4; b++)
            {
                data[b, i] = m[i, b];
                if (double.IsFinite(m[i, b])) max = Math.Max(max, Math.Abs(m[i, b]));
            }
        var plot = new Plot();
        var hm = plot.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Balance();
        hm.ManualRange = new ScottPlot.Range(-max, max);
        hm.NaNCellColor = Colors.LightGray;
        // Cell (row, column) is centred at x = column, y = rows − 1 − row (as in the attention heatmaps).
        plot.Add.ColorBar(hm).Label = Meaning(r, label);
        SequenceLogo.PositionTicks(plot, n, First(r), x0: 0);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([3.0, 2, 1, 0], ["A", "C", "G", "T"]);
        plot.Title(Title(r, label) + " (grey: reference base)");
        plot.XLabel(XLabel(r));
        plot.YLabel("alt base");
        OutputFiles.Write(path, tmp => plot.SavePng(tmp, Math.Clamp(200 + 10 * n, 600, 4000), 320));
    }

    /// <summary>A file-name-safe, unique spelling of an id.</summary>
    private static string FileName(string id, HashSet<string> taken)
    {
        var name = string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_'));
        var unique = name;
        for (int k = 2; !taken.Add(unique); k++) unique = $"{name}_{k}";
        return unique;
    }
}
