using DnaFoundation.Training.Distributed;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Training.Tests.Distributed;

[Collection(TorchGlobalStateCollection.Name)]
public class WeightSyncTests
{
    [Fact]
    public void The_digest_is_equal_for_equal_weights_and_changes_with_one_ulp_of_one_weight()
    {
        using var a = Sequential(Linear(6, 4), LayerNorm(4));
        using var b = Sequential(Linear(6, 4), LayerNorm(4));
        b.load_state_dict(a.state_dict());
        Assert.Equal(WeightSync.Digest(a), WeightSync.Digest(b));

        using (no_grad())
        {
            var w = b.parameters().First();
            float x = w[1, 2].item<float>();
            w[1, 2] = tensor(MathF.BitIncrement(x));
        }
        Assert.NotEqual(WeightSync.Digest(a), WeightSync.Digest(b));
    }

    [Fact]
    public void In_a_world_of_one_broadcast_and_verification_leave_the_model_alone()
    {
        using var model = Sequential(Linear(3, 3));
        var before = WeightSync.Digest(model);
        WeightSync.BroadcastFrom(SingleProcessCommunicator.Instance, model);
        WeightSync.VerifyIdentical(SingleProcessCommunicator.Instance, model, step: 100);
        using var dp = new DataParallel(SingleProcessCommunicator.Instance, model, new DistributedConfig(ChecksumEvery: 1));
        dp.CheckWeights(1);
        Assert.Equal(before, WeightSync.Digest(model));
    }
}
