using TorchSharp;

namespace DnaFoundation.Training.Distributed;

/// <summary>The world of one: every collective is the identity. Used whenever the program is not under mpirun.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    public static readonly SingleProcessCommunicator Instance = new();

    public int Rank => 0;

    public int WorldSize => 1;

    public string Kind => "single";

    public void AllReduceSum(torch.Tensor tensor) { }

    public void Broadcast(torch.Tensor tensor, int root = 0)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), "a world of one has only rank 0");
    }

    public double AllReduceSum(double value) => value;

    public double[] AllGather(double value) => [value];

    public void Barrier() { }

    public void AbortWorld(string reason, int exitCode) { }

    public void Dispose() { }
}
