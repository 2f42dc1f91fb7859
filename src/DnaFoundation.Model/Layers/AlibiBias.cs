using static TorchSharp.torch;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// ALiBi (Press et al. 2022) as MosaicBERT/DNABERT-2 use it in an encoder: head h adds
/// <c>-slope_h * |i - j|</c> to the score of query i and key j. Symmetric, so the model extrapolates to any length.
/// </summary>
public static class AlibiBias
{
    /// <summary>
    /// Head slopes: a geometric sequence starting at 2^(-8/n) for n a power of two; otherwise the slopes of the
    /// closest lower power of two, followed by every other slope of the next power (the paper's recipe).
    /// </summary>
    public static double[] HeadSlopes(int heads)
    {
        static double[] PowerOfTwo(int n)
        {
            double start = Math.Pow(2, -Math.Pow(2, -(Math.Log2(n) - 3)));
            return Enumerable.Range(0, n).Select(i => start * Math.Pow(start, i)).ToArray();
        }
        if ((heads & (heads - 1)) == 0) return PowerOfTwo(heads);
        int closest = 1 << (int)Math.Floor(Math.Log2(heads));
        var first = PowerOfTwo(closest);
        var extra = PowerOfTwo(2 * closest).Where((_, i) => i % 2 == 0).Take(heads - closest);
        return [.. first, .. extra];
    }

    /// <summary>The bias (1, heads, length, length) in <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static Tensor Build(int heads, long length, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var pos = arange(length, dtype: ScalarType.Float32, device: device);
        var distance = (pos.unsqueeze(0) - pos.unsqueeze(1)).abs();                     // (L, L)
        var slopes = tensor(HeadSlopes(heads).Select(s => (float)s).ToArray(), device: device).view(heads, 1, 1);
        return (-slopes * distance).unsqueeze(0).to(dtype).MoveToOuterDisposeScope();  // (1, H, L, L)
    }
}
