using DnaFoundation.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Training.Tests.Distributed;

[Collection(TorchGlobalStateCollection.Name)]
public class DataParallelTests
{
    [Fact]
    public void Gradients_are_summed_over_ranks_into_the_bucket_and_divided_by_the_world_size()
    {
        set_num_threads(1);
        using var reference = Sequential(Linear(4, 3), Tanh(), Linear(3, 2));
        using var model = Sequential(Linear(4, 3), Tanh(), Linear(3, 2));
        model.load_state_dict(reference.state_dict());
        var world = new IdenticalRanks(4);
        using var dp = new DataParallel(world, model, new DistributedConfig(ChecksumEvery: 1));
        Assert.Equal((4 * 3 + 3 + 3 * 2 + 2) * 4, dp.GradientBytes);

        for (int step = 1; step <= 2; step++)
        {
            dp.ZeroGradients();
            reference.zero_grad();
            model.forward(ones(5, 4) * step).square().sum().backward();
            reference.forward(ones(5, 4) * step).square().sum().backward();
            dp.AverageGradients(); // four identical ranks: the mean is this rank's gradient again
            foreach (var (a, b) in model.parameters().Zip(reference.parameters()))
                Assert.True(a.grad!.allclose(b.grad!, rtol: 1e-6, atol: 0), "averaged gradient");
            dp.CheckWeights(step);
        }
        Assert.Equal(2, world.GradientReductions);
        Assert.Equal(1.5, dp.Mean(1.5));
        Assert.Equal(6.0, dp.Sum(1.5));
    }

    [Fact]
    public void A_gradient_taken_out_of_the_bucket_is_refused_with_a_clear_message()
    {
        set_num_threads(1);
        using var model = Sequential(Linear(3, 2));
        using var dp = new DataParallel(new IdenticalRanks(2), model, new DistributedConfig());
        model.zero_grad(); // TorchSharp's Module.zero_grad sets gradients to null; backward then allocates new ones
        model.forward(ones(2, 3)).sum().backward();
        var e = Assert.Throws<InvalidOperationException>(dp.AverageGradients);
        Assert.Contains("'0.weight' is no longer a view of the gradient bucket", e.Message);
    }

    [Fact]
    public void In_a_world_of_one_nothing_is_communicated_and_zeroing_still_works()
    {
        using var model = Sequential(Linear(3, 2));
        using var dp = new DataParallel(SingleProcessCommunicator.Instance, model, new DistributedConfig(ChecksumEvery: 1));
        model.forward(ones(2, 3)).sum().backward();
        dp.AverageGradients();
        dp.CheckWeights(1);
        Assert.True(model.parameters().All(p => p.grad!.abs().sum().item<float>() > 0));
        dp.ZeroGradients();
        Assert.True(model.parameters().All(p => p.grad!.abs().sum().item<float>() == 0));
        Assert.Equal(0, dp.GradientBytes);
        Assert.True(dp.IsRoot);
    }

    /// <summary>A world of N ranks that all hold this rank's tensors: a sum is N times the value.</summary>
    private sealed class IdenticalRanks(int world) : ICommunicator
    {
        public int GradientReductions { get; private set; }
        public int Rank => 0;
        public int WorldSize => world;
        public string Kind => "identical";
        public void AllReduceSum(Tensor tensor)
        {
            GradientReductions++;
            tensor.mul_(world);
        }
        public void Broadcast(Tensor tensor, int root = 0) { }
        public double AllReduceSum(double value) => value * world;
        public double[] AllGather(double value) => Enumerable.Repeat(value, world).ToArray();
        public void Barrier() { }
        public void AbortWorld(string reason, int exitCode) => throw new InvalidOperationException(reason);
        public void Dispose() { }
    }
}
