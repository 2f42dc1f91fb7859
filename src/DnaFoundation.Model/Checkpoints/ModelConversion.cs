using DnaFoundation.Core;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Converts a PyTorch checkpoint (<c>pytorch_model.bin</c>, zip or legacy torch.save, or its shards: DNABERT,
/// DNABERT-2, GROVER and GENA-LM are published only so) into <c>model.safetensors</c>. The weights are checked
/// against the architecture of <c>config.json</c> with the strict key rules first (on the meta device: nothing is
/// allocated), then copied tensor by tensor under their own names, aliases included.
/// </summary>
public static class ModelConversion
{
    public sealed record Result(string WeightsPath, int Tensors, LoadReport Check);

    /// <param name="source">A model directory holding pytorch_model.bin (or its index), or the .bin file itself (config.json beside it).</param>
    /// <param name="outputDir">Where to write; null = beside the source. config.json is copied there when it differs.</param>
    public static Result Convert(string source, string? outputDir)
    {
        bool isDir = Directory.Exists(source);
        string srcDir = isDir ? Path.GetFullPath(source) : Path.GetDirectoryName(Path.GetFullPath(source))!;
        if (!isDir && !File.Exists(source)) throw new DnaInputException("no PyTorch checkpoint here", source);
        if (isDir && !File.Exists(Path.Combine(srcDir, ModelDirectory.PickleFile)) && !File.Exists(Path.Combine(srcDir, ModelDirectory.PickleIndexFile)))
            throw new DnaInputException($"no {ModelDirectory.PickleFile} or {ModelDirectory.PickleIndexFile} to convert", source);
        var config = ModelDirectory.ReadConfig(srcDir);
        var heads = ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault());
        using var tensors = isDir
            ? (File.Exists(Path.Combine(srcDir, ModelDirectory.PickleFile)) ? TensorFiles.Open(Path.Combine(srcDir, ModelDirectory.PickleFile))
                : ShardedTensors.Open(Path.Combine(srcDir, ModelDirectory.PickleIndexFile), ModelDirectory.ReadIndex(Path.Combine(srcDir, ModelDirectory.PickleIndexFile))))
            : TensorFiles.Open(source);
        LoadReport check;
        using (var model = new DnaModel(config, heads, new Device("meta")))
            check = ModelDirectory.Apply(model, tensors, tensors.Path, HeadLoading.Strict);

        string outDir = outputDir ?? srcDir;
        Directory.CreateDirectory(outDir);
        var weights = Path.Combine(outDir, ModelDirectory.WeightsFile);
        Safetensors.Save(weights, tensors, new Dictionary<string, string> { ["converted_from"] = Path.GetFileName(tensors.Path) });
        var configOut = Path.Combine(outDir, ModelDirectory.ConfigFile);
        if (!string.Equals(Path.GetFullPath(configOut), Path.Combine(srcDir, ModelDirectory.ConfigFile), StringComparison.Ordinal))
        {
            AtomicFile.Copy(Path.Combine(srcDir, ModelDirectory.ConfigFile), configOut);
        }
        return new Result(weights, tensors.Names.Count, check);
    }
}
