using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Precision;

/// <summary>The number format of a run's forward and backward passes.</summary>
public enum PrecisionMode
{
    Fp32,
    Bf16,
    Fp16,
}

/// <summary>
/// The one object the trainer consults about precision (TorchSharp has no autocast). <c>fp32</c>: everything in
/// float32. <c>bf16</c>/<c>fp16</c>: matrices, embeddings and activations in the compute dtype, while LayerNorm
/// weights stay float32 (libtorch's mixed-dtype layer_norm normalises in float32), the optimizer updates float32
/// master weights, and the losses are computed from logits cast to float32. Softmax inside attention runs in
/// libtorch's fused kernels, which accumulate in float32 for both half types. fp16 adds dynamic loss scaling.
/// </summary>
public sealed record PrecisionPolicy(PrecisionMode Mode)
{
    public static readonly PrecisionPolicy Fp32 = new(PrecisionMode.Fp32);

    public ScalarType ComputeDtype => Mode switch
    {
        PrecisionMode.Bf16 => ScalarType.BFloat16,
        PrecisionMode.Fp16 => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    /// <summary>The optimizer works on float32 copies of the weights (true unless fp32).</summary>
    public bool UsesMasterWeights => Mode != PrecisionMode.Fp32;

    public bool UsesLossScaling => Mode == PrecisionMode.Fp16;

    /// <summary>Modules whose weights stay float32 in the compute model.</summary>
    public static bool StaysFloat32(nn.Module module) => module is LayerNorm;

    /// <summary>Casts <paramref name="model"/> to the compute dtype in place, keeping normalisation modules in float32.</summary>
    public void CastModel(nn.Module model)
    {
        if (Mode == PrecisionMode.Fp32) return;
        model.to(ComputeDtype);
        foreach (var (_, m) in model.named_modules())
            if (StaysFloat32(m)) m.to(ScalarType.Float32);
    }
}
