namespace DnaFoundation.Model;

/// <summary>
/// Where a low-precision model (bf16/fp16 weights) computes in fp32 anyway. One instance per model, shared by its
/// layers and read on every forward, so a precision policy (the trainer's) can switch it at any time. Defaults: off
/// (everything in the weights' dtype). Keep the norm parameters in fp32 when <see cref="NormsInFloat32"/> is on.
/// </summary>
public sealed class Numerics
{
    /// <summary>LayerNorm statistics and affine in fp32 (input upcast, output cast back).</summary>
    public bool NormsInFloat32 { get; set; }

    /// <summary>Attention scores, softmax and the weighted sum in fp32 (q, k, v upcast; output cast back).</summary>
    public bool AttentionInFloat32 { get; set; }
}
