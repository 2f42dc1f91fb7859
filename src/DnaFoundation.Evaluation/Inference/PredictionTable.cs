using DnaFoundation.Core;
using System.Globalization;
using System.Text;
using DnaFoundation.Data;
using DnaFoundation.Evaluation.FineTuning;
using Parquet;
using Parquet.Schema;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>Where predictions go: a table, a bedGraph track set or a BED of positive intervals. Nothing is visible before <see cref="Commit"/>.</summary>
public interface IPredictionSink : IDisposable
{
    /// <summary>Takes one prediction (in input order).</summary>
    void Add(Prediction prediction);

    /// <summary>Writes the output files into place, atomically; returns their paths.</summary>
    IReadOnlyList<string> Commit();
}

/// <summary>
/// Predictions as a table, TSV or Parquet by the file's extension (.parquet, else TSV), streamed to a temp file and
/// renamed at <see cref="Commit"/>. Sequence heads: one row per input in input order: <c>id</c> (or <c>chrom</c>,
/// <c>start</c>, <c>end</c>, <c>id</c> for genome inputs; 0-based half-open), <c>prob_LABEL</c> per class or label,
/// <c>predicted</c> (the class; for multi-label the labels at or over the threshold, comma-separated). Token heads:
/// one row per run of bases with the same predicted class within an input, in base coordinates (genome coordinates
/// for genome inputs, else positions in the sequence), <c>prob_LABEL</c> the mean over the run's bases.
/// </summary>
public sealed class PredictionTable : IPredictionSink
{
    private const int RowGroupSize = 8192;
    private readonly string path;
    private readonly ModelTask task;
    private readonly bool genomic, parquet;
    private readonly AtomicFile.Pending file;
    private readonly StreamWriter? tsv;
    private readonly List<Row> rows = [];
    private ParquetWriter? writer;
    private readonly DataField<string> chromField = new("chrom"), idField = new("id"), predictedField = new("predicted");
    private readonly DataField<long> startField = new("start"), endField = new("end");
    private readonly DataField<float>[] probFields;
    private bool committed;

    private sealed record Row(string? Chrom, long Start, long End, string Id, float[] Probabilities, string Predicted);

    /// <param name="path">FILE.tsv (or .txt) or FILE.parquet.</param>
    /// <param name="task">Labels name the columns.</param>
    /// <param name="genomic">Inputs have genome coordinates (chrom, start, end columns).</param>
    public PredictionTable(string path, ModelTask task, bool genomic)
    {
        this.path = path;
        this.task = task;
        this.genomic = genomic;
        parquet = path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);
        probFields = task.Labels.Select(l => new DataField<float>(ColumnFor(l))).ToArray();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        file = AtomicFile.Create(path);
        if (!parquet)
        {
            tsv = new StreamWriter(file.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            tsv.WriteLine(string.Join('\t', Header()));
        }
    }

    /// <summary>The column of a label's probability: <c>prob_</c> + the label (tabs and spaces as '_').</summary>
    public static string ColumnFor(string label) => "prob_" + label.Replace('\t', '_').Replace(' ', '_');

    private bool Positional => genomic || task.Task == FineTuneTask.Token;

    private IEnumerable<string> Header()
    {
        if (genomic) return ["chrom", "start", "end", "id", .. probFields.Select(f => f.Name), "predicted"];
        if (task.Task == FineTuneTask.Token) return ["id", "start", "end", .. probFields.Select(f => f.Name), "predicted"];
        return ["id", .. probFields.Select(f => f.Name), "predicted"];
    }

    /// <inheritdoc />
    public void Add(Prediction p)
    {
        if (task.Task != FineTuneTask.Token)
        {
            Write(new Row(p.Input.Chrom, p.Input.Start, p.Input.End, p.Input.Id, p.Probabilities, Predicted(p.Predicted)));
            return;
        }
        foreach (var (start, end, mean, cls) in Runs(p.Bases!))
            Write(new Row(p.Input.Chrom, p.Input.Start + start, p.Input.Start + end, p.Input.Id, mean, task.Labels[cls]));
    }

    /// <summary>The predicted labels as one cell: the class, or the labels called (comma-separated; empty when none).</summary>
    public string Predicted(IReadOnlyList<int> classes) => string.Join(',', classes.Select(c => task.Labels[c]));

    /// <summary>Runs of covered bases with the same most probable class: (start, end, mean probabilities, class).</summary>
    public static IEnumerable<(int Start, int End, float[] Mean, int Class)> Runs(BaseProbabilities b)
    {
        int c = b.Classes, p = 0;
        while (p < b.Length)
        {
            if (!b.Covered[p]) { p++; continue; }
            int cls = ArgMax(b.Values.AsSpan(p * c, c)), start = p;
            var sum = new double[c];
            while (p < b.Length && b.Covered[p] && ArgMax(b.Values.AsSpan(p * c, c)) == cls)
            {
                for (int k = 0; k < c; k++) sum[k] += b.Values[p * c + k];
                p++;
            }
            yield return (start, p, sum.Select(x => (float)(x / (p - start))).ToArray(), cls);
        }
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int k = 1; k < v.Length; k++) if (v[k] > v[best]) best = k;
        return best;
    }

    private void Write(Row r)
    {
        if (tsv is not null)
        {
            var sb = new StringBuilder();
            if (genomic) sb.Append(r.Chrom).Append('\t').Append(r.Start.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(r.End.ToString(CultureInfo.InvariantCulture)).Append('\t');
            sb.Append(r.Id.Replace('\t', ' '));
            if (!genomic && task.Task == FineTuneTask.Token) sb.Append('\t').Append(r.Start.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(r.End.ToString(CultureInfo.InvariantCulture));
            foreach (var x in r.Probabilities) sb.Append('\t').Append(x.ToString("R", CultureInfo.InvariantCulture));
            sb.Append('\t').Append(r.Predicted);
            tsv.WriteLine(sb.ToString());
            return;
        }
        rows.Add(r);
        if (rows.Count >= RowGroupSize) FlushRowGroup();
    }

    private void FlushRowGroup()
    {
        if (rows.Count == 0) return;
        writer ??= ParquetWriter.CreateAsync(Schema(), file.Stream).GetAwaiter().GetResult();
        using var rg = writer.CreateRowGroup();
        if (genomic) rg.WriteAsync(chromField, new ArraySegment<string>(rows.Select(r => r.Chrom!).ToArray())).GetAwaiter().GetResult();
        if (Positional && genomic) WritePositions(rg);
        rg.WriteAsync(idField, new ArraySegment<string>(rows.Select(r => r.Id).ToArray())).GetAwaiter().GetResult();
        if (Positional && !genomic) WritePositions(rg);
        for (int k = 0; k < probFields.Length; k++)
            rg.WriteAsync<float>(probFields[k], rows.Select(r => r.Probabilities[k]).ToArray().AsMemory()).GetAwaiter().GetResult();
        rg.WriteAsync(predictedField, new ArraySegment<string>(rows.Select(r => r.Predicted).ToArray())).GetAwaiter().GetResult();
        rows.Clear();
    }

    private void WritePositions(ParquetRowGroupWriter rg)
    {
        rg.WriteAsync<long>(startField, rows.Select(r => r.Start).ToArray().AsMemory()).GetAwaiter().GetResult();
        rg.WriteAsync<long>(endField, rows.Select(r => r.End).ToArray().AsMemory()).GetAwaiter().GetResult();
    }

    private ParquetSchema Schema()
    {
        var fields = new List<Field>();
        if (genomic) fields.AddRange([chromField, startField, endField, idField]);
        else if (task.Task == FineTuneTask.Token) fields.AddRange([idField, startField, endField]);
        else fields.Add(idField);
        fields.AddRange(probFields);
        fields.Add(predictedField);
        return new ParquetSchema(fields);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Commit()
    {
        if (tsv is not null) tsv.Flush();
        else
        {
            FlushRowGroup();
            writer ??= ParquetWriter.CreateAsync(Schema(), file.Stream).GetAwaiter().GetResult(); // no rows: a valid empty table
            writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        file.Commit();
        committed = true;
        return [path];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!committed)
        {
            tsv?.Dispose();
            writer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        file.Dispose();
    }
}
