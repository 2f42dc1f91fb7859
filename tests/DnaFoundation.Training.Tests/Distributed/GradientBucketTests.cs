using DnaFoundation.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Training.Tests.Distributed;

public class GradientBucketTests
{
    [Fact]
    public void Every_gradient_is_a_view_of_one_flat_buffer_that_backward_and_zero_grad_write_in_place()
    {
        set_num_threads(1);
        manual_seed(5);
        using var model = Sequential(Linear(4, 3), Tanh(), Linear(3, 2));
        using var bucket = new GradientBucket(model.parameters());
        Assert.Single(bucket.Buffers);
        Assert.Equal(4 * 3 + 3 + 3 * 2 + 2, bucket.ElementCount);
        Assert.Equal(4 * bucket.ElementCount, bucket.ByteCount);
        var optimizer = optim.AdamW(model.parameters(), 0.01);

        for (int step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            Assert.Equal(0f, bucket.Buffers[0].abs().sum().item<float>());
            model.forward(ones(5, 4)).square().sum().backward();
            var concatenated = cat(model.parameters().Select(p => p.grad!.reshape(-1)).ToList(), 0);
            Assert.True(concatenated.equal(bucket.Buffers[0]).all().item<bool>(), "the buffer holds every gradient, in parameter order");
            Assert.True(bucket.Buffers[0].abs().sum().item<float>() > 0);
            optimizer.step();
        }
    }

    [Fact]
    public void Gradients_replaced_or_cleared_by_the_trainer_are_reattached_with_their_values()
    {
        set_num_threads(1);
        manual_seed(6);
        using var model = Sequential(Linear(3, 2));
        using var bucket = new GradientBucket(model.parameters());
        model.zero_grad(); // TorchSharp's Module.zero_grad sets gradients to null: backward then allocates new ones
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
        model.forward(ones(2, 3)).sum().backward();
        var expected = cat(model.parameters().Select(p => p.grad!.reshape(-1).clone()).ToList(), 0);

        bucket.Attach();
        Assert.True(expected.equal(bucket.Buffers[0]).all().item<bool>());
        model.forward(ones(2, 3)).sum().backward(); // accumulates into the buffer again
        Assert.True((expected * 2).equal(bucket.Buffers[0]).all().item<bool>());
    }

    [Fact]
    public void Mean_over_ranks_is_the_sum_divided_by_the_world_size_and_tied_weights_count_once()
    {
        using var shared = Linear(2, 2);
        using var bucket = new GradientBucket([.. shared.parameters(), .. shared.parameters()]);
        Assert.Equal(6, bucket.ElementCount);
        bucket.Buffers[0].copy_(arange(6, dtype: ScalarType.Float32) - 2.5f);
        var before = bucket.Buffers[0].clone();

        bucket.AllReduceMean(new IdenticalRanks(3)); // three ranks with the same gradients: the mean is the gradient
        Assert.True(before.allclose(bucket.Buffers[0], rtol: 1e-7, atol: 0));
        bucket.AllReduceMean(SingleProcessCommunicator.Instance);
        Assert.True(before.allclose(bucket.Buffers[0], rtol: 1e-7, atol: 0));
    }

    /// <summary>A world of N ranks that all hold this rank's tensors: the sum is N times the value.</summary>
    private sealed class IdenticalRanks(int world) : ICommunicator
    {
        public int Rank => 0;
        public int WorldSize => world;
        public string Kind => "identical";
        public void AllReduceSum(Tensor tensor) => tensor.mul_(world);
        public void Broadcast(Tensor tensor, int root = 0) { }
        public double AllReduceSum(double value) => value * world;
        public double[] AllGather(double value) => Enumerable.Repeat(value, world).ToArray();
        public void Barrier() { }
        public void AbortWorld(string reason, int exitCode) => throw new InvalidOperationException(reason);
        public void Dispose() { }
    }
}
