using static TorchSharp.torch;

namespace DnaFoundation.Training.Masking;

/// <summary>
/// A masked-LM input: <see cref="InputIds"/> (B, T) int64 with masked tokens replaced; <see cref="Labels"/> (B, T)
/// int64, the original id at masked positions and −100 elsewhere; <see cref="LossWeights"/> (B, T) float32, the
/// weight of each masked position (1, or the soft-mask weight) and 0 elsewhere.
/// </summary>
public sealed record MaskedBatch(Tensor InputIds, Tensor Labels, Tensor LossWeights)
{
    public const long IgnoreIndex = -100;
}
