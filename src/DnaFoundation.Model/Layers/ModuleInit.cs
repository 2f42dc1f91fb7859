using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// Linear and embedding layers, with libtorch's random initialisation unless a checkpoint is about to overwrite it:
/// inside <see cref="SkipInitialization"/> the parameters are allocated but not filled (built on the meta device,
/// then given empty storage). Loading a 2 GB model spends most of its time in that initialisation otherwise.
/// Whoever skips it must fill every parameter (ModelDirectory.Load: the file, then BERT's init for fresh heads).
/// </summary>
public static class ModuleInit
{
    private static readonly AsyncLocal<bool> Skipping = new();

    /// <summary>Until disposed, layers built on this thread (or async flow) are allocated without initialisation.</summary>
    public static IDisposable SkipInitialization()
    {
        bool before = Skipping.Value;
        Skipping.Value = true;
        return new Restore(before);
    }

    public static Linear Linear(long inFeatures, long outFeatures, bool hasBias = true, Device? device = null)
    {
        if (!Skip(device)) return nn.Linear(inFeatures, outFeatures, hasBias: hasBias, device: device);
        var layer = nn.Linear(inFeatures, outFeatures, hasBias: hasBias, device: Meta);
        layer.weight = new Parameter(empty(outFeatures, inFeatures, device: device));
        if (hasBias) layer.bias = new Parameter(empty(outFeatures, device: device));
        return layer;
    }

    public static Embedding Embedding(long count, long dim, long? paddingIdx = null, Device? device = null)
    {
        if (!Skip(device)) return nn.Embedding(count, dim, padding_idx: paddingIdx, device: device);
        var layer = nn.Embedding(count, dim, padding_idx: paddingIdx, device: Meta);
        layer.weight = new Parameter(empty(count, dim, device: device));
        return layer;
    }

    private static readonly Device Meta = new("meta");

    private static bool Skip(Device? device) => Skipping.Value && device?.type != TorchSharp.DeviceType.META;

    private sealed class Restore(bool before) : IDisposable
    {
        public void Dispose() => Skipping.Value = before;
    }
}
