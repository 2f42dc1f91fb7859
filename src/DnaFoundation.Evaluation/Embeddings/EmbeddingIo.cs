using DnaFoundation.Core;
using DnaFoundation.Evaluation.Datasets;
using Parquet.Serialization;

namespace DnaFoundation.Evaluation.Embeddings;

/// <summary>A row of <c>dnafm embed</c> output.</summary>
public sealed class EmbeddingRow
{
    public string Id { get; set; } = "";
    public int Layer { get; set; }
    public string Pooling { get; set; } = "";
    public int Length { get; set; }
    public int Windows { get; set; }
    public float[] Embedding { get; set; } = [];
}

/// <summary>A row of per-base output: the vector of one base of one sequence at one layer.</summary>
public sealed class BaseEmbeddingRow
{
    public string Id { get; set; } = "";
    public int Layer { get; set; }
    public int Position { get; set; }
    public float[] Embedding { get; set; } = [];
}

public static class EmbeddingIo
{
    /// <summary>Sequences to embed: FASTA (by extension) or a CSV/TSV whose first column is the sequence.</summary>
    public static IReadOnlyList<(string Id, string Sequence)> ReadInput(string path)
    {
        var p = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        if (Path.GetExtension(p).ToLowerInvariant() is ".fa" or ".fasta" or ".fna") return FastaInputs.Records(path);
        var rows = new List<(string, string)>();
        foreach (var (line, f) in DelimitedReader.Read(path))
        {
            if (line == 1 && f[0].Trim().Equals("sequence", StringComparison.OrdinalIgnoreCase)) continue;
            rows.Add(($"{Path.GetFileName(path)}:{line}", DelimitedReader.Sequence(f[0], path, line)));
        }
        if (rows.Count == 0) throw new DnaInputException("no sequences", path);
        return rows;
    }

    public static IReadOnlyList<EmbeddingRow> Read(string parquet)
    {
        if (!File.Exists(parquet)) throw new DnaInputException("embeddings file not found", parquet);
        using var fs = File.OpenRead(parquet);
        return ParquetSerializer.DeserializeAsync<EmbeddingRow>(fs).GetAwaiter().GetResult().Data.ToList();
    }
}
