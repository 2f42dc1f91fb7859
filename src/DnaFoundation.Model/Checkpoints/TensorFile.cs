using DnaFoundation.Core;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>A stored tensor's dtype and shape, known from a file's header before any data is read.</summary>
public sealed record TensorMeta(ScalarType Dtype, long[] Shape)
{
    public long Numel => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// An open weights file (safetensors, torch.save zip or legacy pickle) whose tensors are read one at a time, on
/// demand: loading copies each into the model and drops it, so a load peaks near the model's own size instead of
/// holding the whole file in memory as well.
/// </summary>
public interface ITensorFile : IDisposable
{
    /// <summary>The file, for error messages.</summary>
    string Path { get; }

    /// <summary>Tensor names in file order.</summary>
    IReadOnlyList<string> Names { get; }

    TensorMeta Meta(string name);

    /// <summary>A new contiguous CPU tensor holding <paramref name="name"/>'s values in its stored dtype (the caller disposes it).</summary>
    Tensor Read(string name);

    /// <summary>
    /// Reads <paramref name="name"/> straight into <paramref name="destination"/> (a contiguous CPU tensor of the same
    /// dtype and element count), without a tensor in between; false when this file cannot (then use <see cref="Read"/>).
    /// </summary>
    bool TryReadInto(string name, Tensor destination) => false;
}

/// <summary>Opens weights files by format: safetensors by extension, otherwise torch.save (zip or legacy pickle).</summary>
public static class TensorFiles
{
    public static ITensorFile Open(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("weights file not found (a missing shard? fetch the model again)", path);
        return new GuardedTensorFile(Guard(path, () => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? Safetensors.Open(path) : PyTorchPickle.Open(path)));
    }

    /// <summary>
    /// Both formats are parsed from untrusted bytes: what the readers do not name themselves (a corrupt zip directory
    /// or deflate stream, a pickle value of the wrong kind, an overflowing size) is still an input error naming the file.
    /// </summary>
    internal static T Guard<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or InvalidCastException or OverflowException or EndOfStreamException
            or NotSupportedException or IndexOutOfRangeException or ArgumentOutOfRangeException or KeyNotFoundException)
        {
            throw new DnaInputException($"corrupt weights file: {e.GetType().Name}: {e.Message}", path, inner: e);
        }
    }

    /// <summary>Every tensor of <paramref name="file"/> in memory (small files, conversion, tests).</summary>
    public static Dictionary<string, Tensor> ReadAll(this ITensorFile file)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in file.Names) result[name] = file.Read(name);
        return result;
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes (any size; Stream.Read takes at most 2 GiB per call).</summary>
    internal static void ReadExactly(Stream stream, Span<byte> destination, string path)
    {
        while (destination.Length > 0)
        {
            int n = stream.Read(destination[..Math.Min(destination.Length, 1 << 30)]);
            if (n == 0) throw new DnaInputException("file ends inside tensor data (truncated? fetch it again)", path);
            destination = destination[n..];
        }
    }
}

/// <summary>A weights file whose reads turn a reader's unexpected exception on corrupt bytes into an input error naming the file.</summary>
internal sealed class GuardedTensorFile(ITensorFile inner) : ITensorFile
{
    public string Path => inner.Path;

    public IReadOnlyList<string> Names => inner.Names;

    public TensorMeta Meta(string name) => TensorFiles.Guard(inner.Path, () => inner.Meta(name));

    public Tensor Read(string name) => TensorFiles.Guard(inner.Path, () => inner.Read(name));

    public bool TryReadInto(string name, Tensor destination) => TensorFiles.Guard(inner.Path, () => inner.TryReadInto(name, destination));

    public void Dispose() => inner.Dispose();
}

/// <summary>Tensors already in memory (a state dict built in code) behind the same interface.</summary>
public sealed class InMemoryTensors(IReadOnlyDictionary<string, Tensor> tensors, string path = "(in memory)") : ITensorFile
{
    public string Path => path;

    public IReadOnlyList<string> Names { get; } = [.. tensors.Keys];

    public TensorMeta Meta(string name) => new(tensors[name].dtype, tensors[name].shape);

    public Tensor Read(string name) => tensors[name].detach().cpu().contiguous().clone();

    public void Dispose() { }
}
