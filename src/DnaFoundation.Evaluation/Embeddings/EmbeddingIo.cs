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
    /// <summary>Sequences to embed: FASTA (by extension) or a CSV/TSV (see <see cref="SequenceInputs"/>).</summary>
    public static IReadOnlyList<(string Id, string Sequence)> ReadInput(string path) =>
        SequenceInputs.Read(path).Select(s => (s.Id, s.Sequence)).ToList();

    public static IReadOnlyList<EmbeddingRow> Read(string parquet)
    {
        if (!File.Exists(parquet)) throw new DnaInputException("embeddings file not found", parquet);
        using var fs = File.OpenRead(parquet);
        return ParquetSerializer.DeserializeAsync<EmbeddingRow>(fs).GetAwaiter().GetResult().Data.ToList();
    }
}
