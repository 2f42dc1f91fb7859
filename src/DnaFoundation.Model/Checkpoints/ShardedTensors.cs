using DnaFoundation.Core;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// The shards of a sharded checkpoint (<c>model-00001-of-00003.safetensors</c> …, or <c>pytorch_model-0000N-of-0000M.bin</c>)
/// as one tensor file. Opened through an index, every name the index maps must be in the shard it names, so a
/// truncated, swapped or missing shard is reported with the file to fetch again.
/// </summary>
public sealed class ShardedTensors : ITensorFile
{
    private readonly List<ITensorFile> shards;
    private readonly Dictionary<string, ITensorFile> owner = new(StringComparer.Ordinal);

    private ShardedTensors(List<ITensorFile> shards, string path)
    {
        this.shards = shards;
        Path = path;
        foreach (var shard in shards)
            foreach (var name in shard.Names)
                if (!owner.TryAdd(name, shard))
                    throw new DnaInputException($"tensor '{name}' is in two shards: {System.IO.Path.GetFileName(owner[name].Path)} and {System.IO.Path.GetFileName(shard.Path)}", path);
        Names = [.. owner.Keys];
    }

    public string Path { get; }

    public IReadOnlyList<string> Names { get; }

    /// <summary>Opens every shard of an index and checks the index against what the shards hold.</summary>
    public static ShardedTensors Open(string indexPath, IReadOnlyDictionary<string, string> weightMap)
    {
        var files = weightMap.Values.Distinct().ToList();
        var sharded = Open(files, indexPath);
        foreach (var (name, shard) in weightMap)
        {
            if (!sharded.owner.TryGetValue(name, out var file) || !string.Equals(file.Path, shard, StringComparison.Ordinal))
            {
                sharded.Dispose();
                throw new DnaInputException($"the index maps '{name}' to {System.IO.Path.GetFileName(shard)}, which does not hold it (a truncated or wrong shard? fetch the model again)", indexPath);
            }
        }
        return sharded;
    }

    public static ShardedTensors Open(IReadOnlyList<string> files, string? path = null)
    {
        var opened = new List<ITensorFile>();
        try
        {
            foreach (var f in files) opened.Add(TensorFiles.Open(f));
            return new ShardedTensors(opened, path ?? System.IO.Path.GetDirectoryName(files[0]) ?? files[0]);
        }
        catch
        {
            foreach (var f in opened) f.Dispose();
            throw;
        }
    }

    public TensorMeta Meta(string name) => owner[name].Meta(name);

    public Tensor Read(string name) => owner[name].Read(name);

    public bool TryReadInto(string name, Tensor destination) => owner[name].TryReadInto(name, destination);

    public void Dispose()
    {
        foreach (var s in shards) s.Dispose();
    }
}
