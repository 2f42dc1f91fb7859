using TorchSharp.Modules;
using static TorchSharp.torch.utils.tensorboard;

namespace DnaFoundation.Training.Observability;

/// <summary>TensorBoard event files under <c>DIR/tensorboard/</c> (TorchSharp's SummaryWriter), for <c>tensorboard --logdir DIR</c>.</summary>
public sealed class TensorBoardSink
{
    private readonly SummaryWriter writer;

    public TensorBoardSink(string runDirectory)
    {
        var dir = Path.Combine(runDirectory, "tensorboard");
        System.IO.Directory.CreateDirectory(dir);
        writer = SummaryWriter(dir, createRunName: false);
    }

    public string LogDirectory => writer.LogDir;

    public void Scalars(string prefix, long step, IEnumerable<KeyValuePair<string, double>> values)
    {
        foreach (var (name, value) in values)
            if (double.IsFinite(value))
                writer.add_scalar($"{prefix}/{name}", (float)value, (int)step);
    }
}
