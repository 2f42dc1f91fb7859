using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Evaluation.Datasets;

/// <summary>One sequence to run a model on, with the id it is reported under.</summary>
public sealed record NamedSequence(string Id, string Sequence);

/// <summary>
/// Unlabelled sequences from a file, streamed one at a time (embed, attention, predict): FASTA / FASTA.gz (by
/// extension; the id is the record name), or CSV/TSV. A table's sequence is the column headed <c>sequence</c> when the
/// first line is a header (then a column headed <c>id</c> or <c>name</c> gives the id), else the first column; ids
/// default to <c>FILE:LINE</c>, as labelled readers name their rows, so predictions line up with fine-tuning's.
/// </summary>
public static class SequenceInputs
{
    /// <summary>True for .fa/.fasta/.fna (optionally .gz).</summary>
    public static bool IsFasta(string path)
    {
        var p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return Path.GetExtension(p).ToLowerInvariant() is ".fa" or ".fasta" or ".fna";
    }

    /// <summary>The file's sequences in file order; an empty file or an empty sequence is an error naming the file (and line).</summary>
    public static IEnumerable<NamedSequence> Read(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("file not found", path);
        return IsFasta(path) ? Fasta(path) : Table(path);
    }

    private static IEnumerable<NamedSequence> Fasta(string path)
    {
        using var reader = FastaReader.Open(path);
        var buf = new byte[1 << 16];
        int n = 0;
        while (reader.NextRecord() is { } rec)
        {
            var sb = new StringBuilder();
            for (int k; (k = reader.Read(buf)) > 0;) sb.Append(Encoding.ASCII.GetString(buf, 0, k));
            if (sb.Length == 0) throw new DnaInputException($"record '{rec.Name}' has no sequence", path, rec.HeaderLine);
            n++;
            yield return new NamedSequence(rec.Name, sb.ToString());
        }
        if (n == 0) throw new DnaInputException("no FASTA records", path);
    }

    private static IEnumerable<NamedSequence> Table(string path)
    {
        int sequenceColumn = 0, idColumn = -1, n = 0;
        bool first = true;
        var name = Path.GetFileName(path);
        foreach (var (line, f) in DelimitedReader.Read(path))
        {
            if (first)
            {
                first = false;
                if (IsHeader(f, out sequenceColumn, out idColumn)) continue;
            }
            if (f.Length <= sequenceColumn || (idColumn >= 0 && f.Length <= idColumn))
                throw new DnaInputException($"expected at least {Math.Max(sequenceColumn, idColumn) + 1} columns, found {f.Length}", path, line);
            n++;
            yield return new NamedSequence(idColumn >= 0 ? f[idColumn].Trim() : $"{name}:{line}", DelimitedReader.Sequence(f[sequenceColumn], path, line));
        }
        if (n == 0) throw new DnaInputException("no sequences", path);
    }

    private static bool IsHeader(string[] fields, out int sequence, out int id)
    {
        var names = fields.Select(x => x.Trim().ToLowerInvariant()).ToList();
        sequence = names.IndexOf("sequence");
        id = names.IndexOf("id") is >= 0 and var i ? i : names.IndexOf("name");
        if (sequence >= 0) return true;
        sequence = 0;
        id = -1;
        return false;
    }
}
