using System.IO.Compression;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Cli.Commands;

/// <summary>One input sequence for the tokenizer commands: its name (FASTA record or "line N") and bases (ASCII).</summary>
internal sealed record NamedSequence(string Name, byte[] Bases, string Source, long Line);

/// <summary>Reads the inputs of <c>dnafm tokenizer …</c>: FASTA(.gz) records, or a CSV/TSV column named <c>sequence</c>.</summary>
internal static class TokenizerInputs
{
    public static bool IsTable(string path)
    {
        var p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        return p.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Every sequence of the file, in file order (a FASTA record is read whole).</summary>
    public static IEnumerable<NamedSequence> Read(string path) => IsTable(path) ? ReadTable(path) : ReadFasta(path);

    /// <summary>
    /// FASTA files to train on: the --input files (every record), plus each genome of a manifest restricted to its
    /// training contigs (validation and test contigs never shape the vocabulary). Manifest weights are not applied.
    /// </summary>
    public static List<(string Path, Func<string, bool> Keep)> TrainingSources(string[]? inputs, string? manifestPath, string? dataDir)
    {
        var sources = (inputs ?? []).Select(p => (p, (Func<string, bool>)(_ => true))).ToList();
        if (manifestPath is not null)
        {
            var manifest = GenomeManifest.Load(manifestPath);
            foreach (var s in manifest.Species)
            {
                var splits = s.SplitsOrDefault;
                sources.Add((GenomeFiles.Resolve(manifest, s, dataDir), contig => splits.SplitOf(contig) == DataSplit.Train));
            }
        }
        if (sources.Count == 0) throw new DnaInputException("nothing to train on: give --input FASTA file(s) and/or --manifest");
        return sources;
    }

    /// <summary>
    /// Streams the kept FASTA records in pieces to <paramref name="piece"/>; <paramref name="endRecord"/> after each
    /// record.
    /// </summary>
    public static void StreamFasta(string path, Func<string, bool> keep, Action<ReadOnlySpan<byte>, string> piece, Action endRecord, CancellationToken ct)
    {
        using var reader = FastaReader.Open(path);
        var buf = new byte[1 << 20];
        while (reader.NextRecord() is { } rec)
        {
            if (!keep(rec.Name)) continue;
            int n;
            while ((n = reader.Read(buf)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                piece(buf.AsSpan(0, n), rec.Name);
            }
            endRecord();
        }
    }

    private static IEnumerable<NamedSequence> ReadFasta(string path)
    {
        using var reader = FastaReader.Open(path);
        var buf = new byte[1 << 20];
        while (reader.NextRecord() is { } rec)
        {
            using var all = new MemoryStream();
            int n;
            while ((n = reader.Read(buf)) > 0) all.Write(buf, 0, n);
            yield return new NamedSequence(rec.Name, all.ToArray(), path, rec.HeaderLine);
        }
    }

    // GUE-style CSV ("sequence,label") and DNABERT-style TSV (space-separated 6-mers in the sequence column).
    private static IEnumerable<NamedSequence> ReadTable(string path)
    {
        char sep = path.Replace(".gz", "", StringComparison.OrdinalIgnoreCase).EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? ',' : '\t';
        using var file = SequenceInput.OpenFile(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(s, Encoding.UTF8);
        var header = reader.ReadLine() ?? throw new DnaInputException("empty file: expected a header with a 'sequence' column", path, 1);
        var columns = header.Split(sep).Select(c => c.Trim().Trim('"')).ToList();
        int col = columns.FindIndex(c => c.Equals("sequence", StringComparison.OrdinalIgnoreCase));
        if (col < 0) throw new DnaInputException($"no 'sequence' column in the header (columns: {string.Join(", ", columns)})", path, 1);
        long lineNo = 1;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var fields = line.Split(sep);
            if (fields.Length != columns.Count)
                throw new DnaInputException($"{fields.Length} fields, the header has {columns.Count}", path, lineNo);
            var text = fields[col].Trim().Trim('"');
            if (KmerText.LooksLikeKmers(text)) text = KmerText.ToSequence(text, path, lineNo);
            yield return new NamedSequence($"line {lineNo}", Encoding.ASCII.GetBytes(text), path, lineNo);
        }
    }
}
