using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Datasets;

/// <summary>
/// Reads labelled sequences: GUE-style CSV (<c>sequence,label</c> with a header), the same as TSV, and multi-label
/// tables (<c>sequence,LABEL_A,LABEL_B,…</c>, 0/1 per column). Every problem names the file and line.
/// </summary>
public static class LabeledSequenceReader
{
    /// <summary>Two columns, sequence then integer class (≥ 0). A first line whose label is not a number is the header.</summary>
    public static IReadOnlyList<LabeledSequence> ReadSingleLabel(string path)
    {
        var rows = new List<LabeledSequence>();
        bool first = true;
        foreach (var (line, f) in DelimitedReader.Read(path))
        {
            bool isFirst = first;
            first = false;
            if (f.Length != 2)
            {
                if (f.Length == 3) throw new DnaInputException("three columns: sequence-pair classification is not supported; expected sequence,label", path, line);
                throw new DnaInputException($"expected 2 columns (sequence,label), found {f.Length}", path, line);
            }
            if (!int.TryParse(f[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var label))
            {
                if (isFirst) continue; // header
                throw new DnaInputException($"label '{f[1]}' is not a non-negative integer", path, line);
            }
            rows.Add(new LabeledSequence($"{Path.GetFileName(path)}:{line}", DelimitedReader.Sequence(f[0], path, line), label));
        }
        if (rows.Count == 0) throw new DnaInputException("no examples", path);
        return rows;
    }

    /// <summary>Header <c>sequence,NAME1,NAME2,…</c> then one 0/1 per label column.</summary>
    public static MultiLabelTable ReadMultiLabel(string path)
    {
        string[]? names = null;
        var rows = new List<MultiLabeledSequence>();
        foreach (var (line, f) in DelimitedReader.Read(path))
        {
            if (names is null)
            {
                if (f.Length < 2 || !f[0].Trim().Equals("sequence", StringComparison.OrdinalIgnoreCase))
                    throw new DnaInputException("expected a header 'sequence,LABEL1,LABEL2,…'", path, line);
                names = f[1..].Select(n => n.Trim()).ToArray();
                var dup = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
                if (dup is not null) throw new DnaInputException($"label column '{dup.Key}' appears twice", path, line);
                continue;
            }
            if (f.Length != names.Length + 1) throw new DnaInputException($"expected {names.Length + 1} columns, found {f.Length}", path, line);
            var labels = new byte[names.Length];
            for (int j = 0; j < names.Length; j++)
            {
                labels[j] = f[j + 1].Trim() switch
                {
                    "0" => 0,
                    "1" => 1,
                    var v => throw new DnaInputException($"column '{names[j]}': '{v}' is not 0 or 1", path, line),
                };
            }
            rows.Add(new MultiLabeledSequence($"{Path.GetFileName(path)}:{line}", DelimitedReader.Sequence(f[0], path, line), labels));
        }
        if (names is null || rows.Count == 0) throw new DnaInputException("no examples", path);
        return new MultiLabelTable(names, rows);
    }

    /// <summary>Class count implied by train labels; labels must be 0..K−1 with every class present (as DNABERT-2's num_labels assumes).</summary>
    public static int ClassCount(IReadOnlyList<LabeledSequence> rows, string path)
    {
        var present = rows.Select(r => r.Label).Distinct().Order().ToArray();
        int k = present[^1] + 1;
        if (present.Length != k)
            throw new DnaInputException($"labels must be 0..{k - 1} with every class present; found {string.Join(", ", present)}", path);
        if (k < 2) throw new DnaInputException("only one class in the training labels", path);
        return k;
    }
}
