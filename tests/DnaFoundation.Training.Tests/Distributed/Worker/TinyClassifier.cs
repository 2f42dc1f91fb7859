using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Training.Tests.Distributed.Worker;

/// <summary>A two-layer MLP and its synthetic data: small enough for tests, with every kind of gradient path (matmul, bias, nonlinearity, loss).</summary>
public sealed class TinyClassifier : Module<Tensor, Tensor>
{
    public const int Inputs = 8, Hidden = 16, Classes = 3, MicroBatch = 4;

    private readonly Linear fc1, fc2;

    public TinyClassifier() : base(nameof(TinyClassifier))
    {
        fc1 = Linear(Inputs, Hidden);
        fc2 = Linear(Hidden, Classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, Inputs) -> (B, Classes)
    {
        using var scope = NewDisposeScope();
        return fc2.forward(functional.gelu(fc1.forward(x))).MoveToOuterDisposeScope();
    }

    /// <summary>Micro-batch number <paramref name="index"/> of the global stream: the same on every rank and in every run.</summary>
    public static (Tensor X, Tensor Y) MicroBatchAt(long seed, long index)
    {
        var generator = new Generator((ulong)(seed * 1_000_003 + index));
        var x = randn(MicroBatch, Inputs, generator: generator);
        var y = randint(0, Classes, [MicroBatch], generator: generator);
        return (x, y);
    }

    /// <summary>All parameters as raw bytes, in name order: equal bytes mean bitwise-identical weights.</summary>
    public byte[] WeightBytes()
    {
        using var stream = new MemoryStream();
        foreach (var (_, p) in named_parameters())
            stream.Write(p.detach().cpu().contiguous().bytes);
        return stream.ToArray();
    }
}
