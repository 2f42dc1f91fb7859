using static TorchSharp.torch;

namespace DnaFoundation.Model.Layers;

/// <summary>
/// One ALiBi table per (dtype, device), at the longest length asked for so far, so a forward pass reuses it instead
/// of building (1, heads, L, L) again. A shorter length is the table's top-left block: the bias depends on |i − j|
/// only. On CUDA the table's side is a multiple of 16 (the memory-efficient kernel's bias alignment). The table is a constant (built without autograd, never requires grad) owned by the encoder.
/// </summary>
internal sealed class AlibiCache : IDisposable
{
    private readonly int heads;
    private readonly Lock gate = new();
    private readonly Dictionary<(ScalarType, string), Tensor> tables = [];

    public AlibiCache(int heads) => this.heads = heads;

    /// <summary>How many tables were built (tests check that a step does not build one).</summary>
    public int Builds { get; private set; }

    /// <summary>A (1, heads, length, length) view of the cached table; the view belongs to the caller's dispose scope.</summary>
    public Tensor Get(long length, ScalarType dtype, Device device)
    {
        lock (gate)
        {
            var key = (dtype, device.ToString());
            if (!tables.TryGetValue(key, out var table) || table.shape[^1] < length)
            {
                using (no_grad())
                {
                    // Views handed out earlier keep the old storage alive; only this handle is released.
                    table?.Dispose();
                    table = AlibiBias.Build(heads, Runtime.AttentionKernels.BiasCapacity(length, device.type), dtype, device).DetachFromDisposeScope();
                }
                tables[key] = table;
                Builds++;
            }
            return table.shape[^1] == length ? table.alias() : table.narrow(2, 0, length).narrow(3, 0, length);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var t in tables.Values) t.Dispose();
            tables.Clear();
        }
    }
}
