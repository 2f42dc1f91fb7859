using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// LayerNorm with parameters <c>weight</c>/<c>bias</c> (checkpoint names as nn.LayerNorm's) that can compute in fp32
/// for a low-precision model when <see cref="Numerics.NormsInFloat32"/> says so.
/// </summary>
public sealed class Norm : Module<Tensor, Tensor>
{
    private readonly long[] shape;
    private readonly double eps;
    private readonly Numerics numerics;
    private readonly Parameter weight;
    private readonly Parameter bias;

    public Norm(long width, double eps, Numerics numerics, Device? device = null) : base(nameof(Norm))
    {
        shape = [width];
        this.eps = eps;
        this.numerics = numerics;
        weight = Parameter(ones(width, device: device));
        bias = Parameter(zeros(width, device: device));
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public Parameter Bias => bias;

    public override Tensor forward(Tensor x)
    {
        if (!numerics.NormsInFloat32 || x.dtype == ScalarType.Float32)
        {
            if (weight.dtype == x.dtype) return nn.functional.layer_norm(x, shape, weight, bias, eps);
            using var cast = NewDisposeScope();                 // fp32 norm parameters under a bf16 activation
            return nn.functional.layer_norm(x, shape, weight.to(x.dtype), bias.to(x.dtype), eps).MoveToOuterDisposeScope();
        }
        using var scope = NewDisposeScope();
        var y = nn.functional.layer_norm(x.to(ScalarType.Float32), shape, weight.to(ScalarType.Float32), bias.to(ScalarType.Float32), eps);
        return y.to(x.dtype).MoveToOuterDisposeScope();
    }
}
