using System.Globalization;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Intervals;

namespace DnaFoundation.Evaluation.Datasets;

/// <summary>FASTA-based inputs: records with a label file (<c>id&lt;TAB&gt;label</c>), or with BED regions as per-base classes.</summary>
public static class FastaInputs
{
    /// <summary>Every record of a FASTA (Data's streaming reader), in file order.</summary>
    public static IReadOnlyList<(string Name, string Sequence)> Records(string path)
    {
        using var reader = FastaReader.Open(path);
        var result = new List<(string, string)>();
        var buf = new byte[1 << 16];
        while (reader.NextRecord() is { } rec)
        {
            var sb = new StringBuilder();
            for (int n; (n = reader.Read(buf)) > 0;) sb.Append(Encoding.ASCII.GetString(buf, 0, n));
            result.Add((rec.Name, sb.ToString()));
        }
        if (result.Count == 0) throw new DnaInputException("no FASTA records", path);
        return result;
    }

    /// <summary>Single-label examples: each FASTA record's label comes from the label file; both must cover the same ids.</summary>
    public static IReadOnlyList<LabeledSequence> WithLabels(string fasta, string labels)
    {
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, f) in DelimitedReader.Read(labels))
        {
            if (f.Length != 2) throw new DnaInputException($"expected 2 columns (id, label), found {f.Length}", labels, line);
            if (!int.TryParse(f[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var label))
            {
                if (line == 1) continue; // header
                throw new DnaInputException($"label '{f[1]}' is not a non-negative integer", labels, line);
            }
            if (!byId.TryAdd(f[0].Trim(), label)) throw new DnaInputException($"id '{f[0]}' is labelled twice", labels, line);
        }
        var rows = new List<LabeledSequence>();
        foreach (var (name, seq) in Records(fasta))
        {
            if (!byId.Remove(name, out var label)) throw new DnaInputException($"record '{name}' has no label in {labels}", fasta);
            rows.Add(new LabeledSequence(name, seq, label));
        }
        if (byId.Count > 0) throw new DnaInputException($"{byId.Count} labelled id(s) have no FASTA record, e.g. '{byId.Keys.First()}'", labels);
        return rows;
    }

    /// <summary>Per-base classes for token classification: 1 where a BED interval (chrom = record name) covers the base.</summary>
    public static (IReadOnlyList<string> Sequences, IReadOnlyList<byte[]> BaseLabels) WithRegions(string fasta, string bed)
    {
        var byChrom = BedReader.Read(bed).GroupBy(i => i.Chrom).ToDictionary(g => g.Key, g => g.ToList());
        var seqs = new List<string>();
        var labels = new List<byte[]>();
        foreach (var (name, seq) in Records(fasta))
        {
            var y = new byte[seq.Length];
            foreach (var iv in byChrom.GetValueOrDefault(name) ?? [])
            {
                if (iv.End > seq.Length) throw new DnaInputException($"interval {name}:{iv.Start}-{iv.End} runs past the record's {seq.Length} bases", bed);
                Array.Fill(y, (byte)1, (int)iv.Start, (int)iv.Length);
            }
            seqs.Add(seq);
            labels.Add(y);
        }
        return (seqs, labels);
    }
}
