using System.Globalization;
using System.Text;
using DnaFoundation.Data;
using DnaFoundation.Evaluation.FineTuning;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>
/// Predicted positive intervals as BED6 (<c>chrom start end name score strand</c>, 0-based half-open, sorted by
/// contig name then start): the windows (sequence heads) or bases (token heads) called positive, overlapping or
/// touching ones of the same label merged. Positive means: single-label, the predicted class is not the first one
/// (class 0 is the background, as in GUE); multi-label, each label at or over the threshold; token heads, bases whose
/// most probable class is not class 0. <c>name</c> is the label, <c>score</c> 1000 × the highest probability of that
/// label inside the interval, strand '.'. Written atomically.
/// </summary>
public sealed class PositiveIntervals(string path, ModelTask task) : IPredictionSink
{
    private readonly Dictionary<(string Chrom, int Label), List<(long Start, long End, float Score)>> byLabel = [];

    /// <inheritdoc />
    public void Add(Prediction p)
    {
        GenomicPieces.Check(task, p.Input, path);
        var (chrom, offset) = GenomicPieces.Place(p.Input);
        if (p.Bases is null)
        {
            IEnumerable<int> positive = task.Task == FineTuneTask.MultiLabel ? p.Predicted : p.Predicted.Where(c => c != 0);
            foreach (var k in positive) Extend(chrom, k, p.Input.Start, p.Input.End, p.Probabilities[k]);
            return;
        }
        foreach (var (start, end, mean, cls) in PredictionTable.Runs(p.Bases))
        {
            if (cls == 0) continue;
            float best = 0;
            for (int i = start; i < end; i++) best = Math.Max(best, p.Bases.Values[i * p.Bases.Classes + cls]);
            Extend(chrom, cls, offset + start, offset + end, best);
        }
    }

    /// <summary>Merges with the label's last interval when they touch (sorted inputs merge as they come; the rest at the end).</summary>
    private void Extend(string chrom, int label, long start, long end, float score)
    {
        if (!byLabel.TryGetValue((chrom, label), out var list)) byLabel[(chrom, label)] = list = [];
        if (list.Count > 0 && start >= list[^1].Start && start <= list[^1].End)
        {
            var last = list[^1];
            list[^1] = (last.Start, Math.Max(last.End, end), Math.Max(last.Score, score));
            return;
        }
        list.Add((start, end, score));
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Commit()
    {
        var lines = new List<(string Chrom, long Start, long End, string Name, int Score)>();
        foreach (var ((chrom, label), list) in byLabel)
        {
            list.Sort((a, b) => a.Start.CompareTo(b.Start));
            (long Start, long End, float Score)? open = null;
            foreach (var iv in list)
            {
                if (open is { } o && iv.Start <= o.End) { open = (o.Start, Math.Max(o.End, iv.End), Math.Max(o.Score, iv.Score)); continue; }
                if (open is { } done) lines.Add((chrom, done.Start, done.End, task.Labels[label], Score(done.Score)));
                open = iv;
            }
            if (open is { } last) lines.Add((chrom, last.Start, last.End, task.Labels[label], Score(last.Score)));
        }
        var sb = new StringBuilder();
        foreach (var l in lines.OrderBy(l => l.Chrom, StringComparer.Ordinal).ThenBy(l => l.Start).ThenBy(l => l.End).ThenBy(l => l.Name, StringComparer.Ordinal))
            sb.Append(l.Chrom).Append('\t').Append(l.Start.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(l.End.ToString(CultureInfo.InvariantCulture))
              .Append('\t').Append(l.Name.Replace('\t', '_').Replace(' ', '_')).Append('\t').Append(l.Score.ToString(CultureInfo.InvariantCulture)).Append("\t.\n");
        OutputFiles.WriteText(path, sb.ToString());
        return [path];
    }

    private static int Score(float p) => (int)Math.Round(Math.Clamp(p, 0f, 1f) * 1000);

    /// <inheritdoc />
    public void Dispose() { }
}
