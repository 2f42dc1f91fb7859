using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Embeddings;

/// <summary>One pair's cosine similarity, and the rank of B among A's candidates (1 = A's nearest).</summary>
public sealed class SimilarityRow
{
    public string A { get; set; } = "";
    public string B { get; set; } = "";
    public int Layer { get; set; }
    public double Cosine { get; set; }
    public int Rank { get; set; }
}

/// <summary>Cosine similarity between embedded sequences (e.g. human vs mouse orthologous regions), per layer.</summary>
public static class Similarity
{
    /// <summary>Every A row against every B row of the same layer (B = A when no second set is given; self-pairs skipped).</summary>
    public static IReadOnlyList<SimilarityRow> Compute(IReadOnlyList<EmbeddingRow> a, IReadOnlyList<EmbeddingRow>? b)
    {
        bool self = b is null;
        b ??= a;
        var rows = new List<SimilarityRow>();
        foreach (var x in a)
        {
            var mine = new List<SimilarityRow>();
            foreach (var y in b.Where(y => y.Layer == x.Layer))
            {
                if (self && ReferenceEquals(x, y)) continue;
                if (x.Embedding.Length != y.Embedding.Length)
                    throw new DnaInputException($"'{x.Id}' and '{y.Id}' have embeddings of different widths ({x.Embedding.Length} vs {y.Embedding.Length}): embed both with one model");
                mine.Add(new SimilarityRow { A = x.Id, B = y.Id, Layer = x.Layer, Cosine = Cosine(x.Embedding, y.Embedding) });
            }
            int r = 1;
            foreach (var s in mine.OrderByDescending(s => s.Cosine)) s.Rank = r++;
            rows.AddRange(mine);
        }
        return rows;
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }
}
