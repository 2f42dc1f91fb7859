using static TorchSharp.torch;

namespace DnaFoundation.Training.Checkpoints;

/// <summary>torch's global CPU generator as base64 bytes (Tensor.save cannot write uint8 tensors).</summary>
public static class RngStates
{
    public static string CaptureTorchCpu()
    {
        using var state = random.get_rng_state();
        return Convert.ToBase64String(state.data<byte>().ToArray());
    }

    public static void RestoreTorchCpu(string base64)
    {
        using var state = tensor(Convert.FromBase64String(base64), ScalarType.Byte);
        random.set_rng_state(state);
    }
}
