using DnaFoundation.Core;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Converts a PyTorch pickle checkpoint (<c>pytorch_model.bin</c>: DNABERT-2-117M and GROVER are published only so)
/// into a model directory with <c>model.safetensors</c>. The weights are checked against the architecture of
/// <c>config.json</c> with the strict key rules before anything is written.
/// </summary>
public static class ModelConversion
{
    public sealed record Result(string WeightsPath, int Tensors, LoadReport Check);

    /// <param name="source">A model directory holding pytorch_model.bin, or the .bin file itself (config.json beside it).</param>
    /// <param name="outputDir">Where to write; null = beside the source. config.json is copied there when it differs.</param>
    public static Result Convert(string source, string? outputDir)
    {
        string bin = Directory.Exists(source) ? Path.Combine(source, ModelDirectory.PickleFile) : source;
        string srcDir = Path.GetDirectoryName(Path.GetFullPath(bin))!;
        if (!File.Exists(bin)) throw new DnaInputException("no PyTorch checkpoint here", bin);
        var config = ModelDirectory.ReadConfig(srcDir);
        var heads = ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault());
        var tensors = PyTorchPickle.Load(bin);
        try
        {
            LoadReport check;
            using (var model = new DnaModel(config, heads))
                check = ModelDirectory.Apply(model, tensors, bin, HeadLoading.Strict);

            string outDir = outputDir ?? srcDir;
            Directory.CreateDirectory(outDir);
            var weights = Path.Combine(outDir, ModelDirectory.WeightsFile);
            Safetensors.Save(weights, tensors, new Dictionary<string, string> { ["converted_from"] = Path.GetFileName(bin) });
            var configOut = Path.Combine(outDir, ModelDirectory.ConfigFile);
            if (!string.Equals(Path.GetFullPath(configOut), Path.Combine(srcDir, ModelDirectory.ConfigFile), StringComparison.Ordinal))
            {
                File.Copy(Path.Combine(srcDir, ModelDirectory.ConfigFile), configOut + ".tmp", overwrite: true);
                File.Move(configOut + ".tmp", configOut, overwrite: true);
            }
            return new Result(weights, tensors.Count, check);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
