using DnaFoundation.Core;
using System.Globalization;
using System.Text;
using DnaFoundation.Data;
using DnaFoundation.Evaluation.FineTuning;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>
/// Predictions as UCSC bedGraph tracks: for a binary single-label model one track (the positive class, index 1) at
/// the given path, otherwise one file per class or label, <c>OUT.LABEL.bedgraph</c>. Each file has a <c>track</c>
/// line, then <c>chrom start end value</c> lines, 0-based half-open, sorted by contig name (byte order) then start,
/// non-overlapping, adjacent runs of equal value merged. Overlap rule: a base's value is the mean of the values of
/// every window (sequence heads) or token (token heads) that covers it; bases nothing covers are absent.
/// With sorted inputs (genome tiles) the tracks are built streaming, one contig part at a time; other inputs are
/// collected and sorted at the end. Written atomically.
/// </summary>
public sealed class BedGraphTracks : IPredictionSink
{
    private readonly ModelTask task;
    private readonly string output;
    private readonly Track[] tracks;

    /// <param name="path">The .bedgraph path (see the class summary for the per-label names).</param>
    /// <param name="task">Labels name the tracks.</param>
    /// <param name="sortedInput">Inputs come contig by contig, by increasing start (genome tiles): stream.</param>
    public BedGraphTracks(string path, ModelTask task, bool sortedInput)
    {
        this.task = task;
        output = path;
        bool single = task.Task == FineTuneTask.SingleLabel && task.Labels.Length == 2;
        var stem = path.EndsWith(".bedgraph", StringComparison.OrdinalIgnoreCase) ? path[..^".bedgraph".Length] : path;
        var name = Path.GetFileName(stem);
        tracks = single
            ? [new Track(path, 1, $"{name}", $"P({task.Labels[1]})", sortedInput)]
            : task.Labels.Select((l, k) => new Track($"{stem}.{Safe(l)}.bedgraph", k, $"{name} {l}", $"P({l})", sortedInput)).ToArray();
    }

    /// <summary>The files this writes.</summary>
    public IReadOnlyList<string> Paths => tracks.Select(t => t.Path).ToList();

    private static string Safe(string label) => string.Concat(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' or '_' ? c : '_'));

    /// <inheritdoc />
    public void Add(Prediction p)
    {
        GenomicPieces.Check(task, p.Input, output);
        var (chrom, _) = GenomicPieces.Place(p.Input);
        foreach (var t in tracks)
            foreach (var piece in GenomicPieces.Of(p, t.Class)) t.Add(chrom, piece);
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Commit()
    {
        foreach (var t in tracks) t.Commit();
        return Paths;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in tracks) t.Dispose();
    }

    /// <summary>One bedGraph file: per-contig parts (streaming) or buffered pieces, swept into sorted, non-overlapping runs.</summary>
    private sealed class Track(string path, int cls, string name, string description, bool sortedInput) : IDisposable
    {
        private readonly string partsDir = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, $".{System.IO.Path.GetFileName(path)}.parts-{Guid.NewGuid():N}");
        private readonly Dictionary<string, string> parts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<GenomicPiece>> buffered = new(StringComparer.Ordinal);
        private string? contig;
        private Sweep? sweep;

        public string Path { get; } = path;
        public int Class { get; } = cls;

        public void Add(string chrom, GenomicPiece piece)
        {
            if (!sortedInput)
            {
                if (!buffered.TryGetValue(chrom, out var list)) buffered[chrom] = list = [];
                list.Add(piece);
                return;
            }
            if (chrom != contig)
            {
                sweep?.Finish();
                sweep?.Dispose();
                if (parts.ContainsKey(chrom)) throw new InvalidOperationException($"contig '{chrom}' came back after another one: inputs are not sorted");
                Directory.CreateDirectory(partsDir);
                var part = System.IO.Path.Combine(partsDir, parts.Count.ToString(CultureInfo.InvariantCulture));
                parts[chrom] = part;
                contig = chrom;
                sweep = new Sweep(chrom, new StreamWriter(part, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" });
            }
            sweep!.Add(piece);
        }

        public void Commit()
        {
            sweep?.Finish();
            sweep?.Dispose();
            sweep = null;
            using var pending = AtomicFile.Create(Path);
            using (var w = new StreamWriter(pending.Stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" })
            {
                w.WriteLine($"track type=bedGraph name=\"{name.Replace('"', '\'')}\" description=\"{description.Replace('"', '\'')}\" visibility=full autoScale=off viewLimits=0:1");
                foreach (var chrom in parts.Keys.Concat(buffered.Keys).Distinct().Order(StringComparer.Ordinal))
                {
                    if (parts.TryGetValue(chrom, out var part))
                    {
                        using var r = File.OpenRead(part);
                        w.Flush();
                        r.CopyTo(pending.Stream);
                        continue;
                    }
                    var pieces = buffered[chrom];
                    pieces.Sort((a, b) => a.Start.CompareTo(b.Start));
                    using var s = new Sweep(chrom, w, ownsWriter: false);
                    foreach (var p in pieces) s.Add(p);
                    s.Finish();
                }
            }
            pending.Commit();
            DeleteParts();
        }

        public void Dispose()
        {
            sweep?.Dispose();
            DeleteParts();
        }

        private void DeleteParts()
        {
            try { if (Directory.Exists(partsDir)) Directory.Delete(partsDir, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary>
    /// Pieces sorted by start in; bedGraph lines out: between consecutive piece boundaries the value is the mean of the
    /// pieces covering that stretch; equal neighbouring values are merged into one line.
    /// </summary>
    private sealed class Sweep(string chrom, TextWriter writer, bool ownsWriter = true) : IDisposable
    {
        private readonly List<GenomicPiece> active = [];
        private long pos;
        private long runStart = -1, runEnd;
        private string runValue = "";

        public void Add(GenomicPiece p)
        {
            Advance(p.Start);
            if (active.Count == 0) pos = p.Start;
            active.Add(p);
        }

        public void Finish() => Advance(long.MaxValue);

        /// <summary>Emits every stretch before <paramref name="x"/>: nothing added later can start before it.</summary>
        private void Advance(long x)
        {
            while (active.Count > 0 && pos < x)
            {
                long stop = x;
                double sum = 0;
                foreach (var a in active)
                {
                    stop = Math.Min(stop, a.End);
                    sum += a.Value;
                }
                if (stop > pos) Emit(pos, stop, sum / active.Count);
                pos = Math.Max(pos, stop);
                active.RemoveAll(a => a.End <= pos);
            }
            if (x == long.MaxValue) Flush();
        }

        private void Emit(long start, long end, double value)
        {
            var v = value.ToString("0.######", CultureInfo.InvariantCulture);
            if (runStart >= 0 && runEnd == start && v == runValue)
            {
                runEnd = end;
                return;
            }
            Flush();
            (runStart, runEnd, runValue) = (start, end, v);
        }

        private void Flush()
        {
            if (runStart < 0) return;
            writer.Write(chrom);
            writer.Write('\t');
            writer.Write(runStart.ToString(CultureInfo.InvariantCulture));
            writer.Write('\t');
            writer.Write(runEnd.ToString(CultureInfo.InvariantCulture));
            writer.Write('\t');
            writer.WriteLine(runValue);
            runStart = -1;
        }

        public void Dispose()
        {
            if (ownsWriter) writer.Dispose();
        }
    }
}
