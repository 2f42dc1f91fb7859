using static TorchSharp.torch;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// Rotary position embedding as in ESM / Nucleotide Transformer v2: frequencies <c>10000^(-2i/d)</c>, the two
/// halves of each head vector rotated together (<c>x*cos + rotate_half(x)*sin</c>), applied to queries and keys.
/// </summary>
public static class RotaryEmbedding
{
    public static Tensor InverseFrequencies(int headDim, Device device) =>
        1.0 / pow(10000.0, arange(0, headDim, 2, dtype: ScalarType.Float32, device: device) / headDim);

    /// <summary>cos and sin tables (1, 1, length, headDim) in <paramref name="dtype"/>.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(int headDim, long length, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var t = arange(length, dtype: ScalarType.Float32, device: device);
        var freqs = outer(t, InverseFrequencies(headDim, device));                    // (L, d/2)
        var emb = cat([freqs, freqs], -1);                                            // (L, d)
        var cos = emb.cos().to(dtype).view(1, 1, length, headDim).MoveToOuterDisposeScope();
        var sin = emb.sin().to(dtype).view(1, 1, length, headDim).MoveToOuterDisposeScope();
        return (cos, sin);
    }

    /// <summary>Rotates <paramref name="x"/> (B, heads, L, d).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var halves = x.chunk(2, -1);
        var rotated = cat([-halves[1], halves[0]], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}
