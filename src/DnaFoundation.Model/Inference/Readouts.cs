using static TorchSharp.torch;

namespace DnaFoundation.Model.Inference;

/// <summary>How token vectors become one sequence vector: the first token (CLS), or the mean or element-wise max over the kept tokens.</summary>
public enum Pooling
{
    /// <summary>The first token's vector (a model's CLS/BOS token).</summary>
    Cls,
    /// <summary>The mean over the kept tokens.</summary>
    Mean,
    /// <summary>The element-wise maximum over the kept tokens.</summary>
    Max,
}

/// <summary>
/// Reductions a readout runs on the device, each ending in one host copy for the whole batch: class probabilities
/// (softmax or sigmoid), top-k, per-token probabilities, pooled vectors, log-probabilities at chosen positions,
/// attention maps. Shapes: B rows, T tokens (padded), C classes, H hidden, V vocabulary.
/// </summary>
public static class Readouts
{
    /// <summary>(B, C) logits → per-row class probabilities: softmax over classes, or an independent sigmoid per label.</summary>
    public static Tensor Probabilities(Tensor logits, bool multiLabel)
    {
        var l = logits.to(ScalarType.Float32);
        return multiLabel ? l.sigmoid() : l.softmax(-1);
    }

    /// <summary>(B, C) scores → each row's <paramref name="k"/> best classes, best first (ties: lower index first).</summary>
    public static int[][] TopK(Tensor scores, int k)
    {
        k = Math.Clamp(k, 1, (int)scores.shape[^1]);
        var (_, indices) = scores.topk(k, dim: -1, largest: true, sorted: true);
        var flat = indices.to(ScalarType.Int32).cpu().data<int>().ToArray();
        var rows = new int[scores.shape[0]][];
        for (int i = 0; i < rows.Length; i++) rows[i] = flat.AsSpan(i * k, k).ToArray();
        return rows;
    }

    /// <summary>
    /// (B, ...) → one flat float32 array per row, cut to <paramref name="lengths"/>[i] leading entries of the second
    /// dimension when given (a row's real tokens out of T padded ones). One host copy.
    /// </summary>
    public static float[][] Rows(Tensor t, IReadOnlyList<int>? lengths = null)
    {
        var host = t.to(ScalarType.Float32).contiguous().cpu();
        var flat = host.data<float>().ToArray();
        long rows = t.shape[0];
        long per = rows == 0 ? 0 : flat.Length / rows;
        long perStep = t.dim() > 1 && t.shape[1] > 0 ? per / t.shape[1] : per;
        var result = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            long take = lengths is null ? per : lengths[i] * perStep;
            result[i] = flat.AsSpan((int)(i * per), (int)take).ToArray();
        }
        return result;
    }

    /// <summary>
    /// Pools (B, T, H) over the tokens <paramref name="keep"/> (B, T; nonzero = pooled) selects → (B, H) float32 on the
    /// device. Mean divides by the kept count (at least 1); max ignores the others; CLS takes token 0 whatever the mask.
    /// </summary>
    public static Tensor Pool(Tensor hidden, Tensor keep, Pooling pooling)
    {
        var h = hidden.to(ScalarType.Float32);
        switch (pooling)
        {
            case Pooling.Cls:
                return h.select(1, 0);
            case Pooling.Max:
                var drop = keep.eq(0).unsqueeze(-1);                                   // (B, T, 1)
                return h.masked_fill(drop, float.NegativeInfinity).amax([1]);
            default:
                var m = keep.to(ScalarType.Float32).unsqueeze(-1);
                return (h * m).sum(1) / m.sum(1).clamp_min(1.0);
        }
    }

    /// <summary>
    /// (B, T) 0/1 mask of the tokens to pool from each row's own flags (e.g. "not a special token"), on the device in one copy.
    /// </summary>
    public static Tensor KeepMask(IReadOnlyList<bool[]> perRow, int width, Device device)
    {
        var m = new long[perRow.Count * width];
        for (int i = 0; i < perRow.Count; i++)
            for (int t = 0; t < perRow[i].Length && t < width; t++) m[i * width + t] = perRow[i][t] ? 1 : 0;
        return BatchCollator.ToDevice(m, [perRow.Count, width], device);
    }

    /// <summary>
    /// Log-probabilities over the vocabulary at chosen positions: the MLM logits (B, T, V) gathered at
    /// (<paramref name="rows"/>[j], <paramref name="positions"/>[j]) on the device, log-softmaxed in float32 → one
    /// V-vector per pair, one host copy.
    /// </summary>
    public static float[][] LogProbabilitiesAt(Tensor mlmLogits, IReadOnlyList<int> rows, IReadOnlyList<int> positions)
    {
        if (rows.Count == 0) return [];
        var device = mlmLogits.device;
        using var r = BatchCollator.ToDevice(rows.Select(x => (long)x).ToArray(), [rows.Count], device);
        using var p = BatchCollator.ToDevice(positions.Select(x => (long)x).ToArray(), [positions.Count], device);
        var picked = mlmLogits.index([r, p]).to(ScalarType.Float32).log_softmax(-1); // (N, V)
        return Rows(picked);
    }
}
