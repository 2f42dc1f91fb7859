using System.Text.Json;
using System.Text.Json.Serialization;
using DnaFoundation.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>How strictly a checkpoint must cover the model.</summary>
public enum HeadLoading
{
    /// <summary>Every parameter of the model comes from the file, and the file holds nothing unknown.</summary>
    Strict,
    /// <summary>
    /// The encoder is strict; head parameters the file lacks keep their fresh initialisation and head tensors the
    /// model lacks are dropped — fine-tuning a pretrained MLM checkpoint with a new classification head.
    /// </summary>
    EncoderOnly,
}

/// <summary>What a load did: counts, and every name that was dropped or left initialised, with the reason.</summary>
public sealed record LoadReport(int Loaded, IReadOnlyList<string> Ignored, IReadOnlyList<string> Initialized);

/// <summary>
/// A Hugging Face-style model directory: <c>config.json</c> (HF keys) + <c>model.safetensors</c> (HF names for the
/// family), or a sharded <c>model.safetensors.index.json</c>. Saving writes temp files and renames them.
/// </summary>
public static class ModelDirectory
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";
    public const string PickleFile = "pytorch_model.bin";

    private static readonly JsonSerializerOptions WriteOptions = new(ConfigLoader.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes config.json and model.safetensors under <paramref name="dir"/> (created if needed).</summary>
    public static void Save(DnaModel model, string dir, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(dir);
        var config = model.Config with { Architectures = [ModelFactory.ArchitectureFor(model.Config, model.Heads)] };
        Safetensors.Save(Path.Combine(dir, WeightsFile), ExternalTensors(model), metadata);
        var tmp = Path.Combine(dir, ConfigFile + ".tmp");
        File.WriteAllText(tmp, JsonSerializer.Serialize(config, WriteOptions) + "\n");
        File.Move(tmp, Path.Combine(dir, ConfigFile), overwrite: true);
    }

    /// <summary>The model's parameters under HF names (fused q/k/v split back into three).</summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> ExternalTensors(DnaModel model)
    {
        foreach (var (name, p) in model.named_parameters())
        {
            var names = HfNaming.External(name, model.Config, model.Heads);
            if (names.Length == 1)
            {
                yield return new(names[0], p);
                continue;
            }
            var parts = p.detach().chunk(names.Length, 0);
            for (int i = 0; i < names.Length; i++) yield return new(names[i], parts[i]);
        }
    }

    /// <summary>
    /// Loads a model directory; the heads come from <c>architectures</c> unless <paramref name="heads"/> is given
    /// (then <see cref="HeadLoading.EncoderOnly"/> is the usual choice).
    /// </summary>
    public static (DnaModel Model, LoadReport Report) Load(string dir, ModelHeads? heads = null,
        HeadLoading loading = HeadLoading.Strict, Device? device = null, IEnumerable<string>? overrides = null)
    {
        var config = ReadConfig(dir, overrides);
        var h = heads ?? ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault());
        var model = ModelFactory.Create(config, h, device);
        return (model, LoadWeights(model, WeightsPath(dir), loading));
    }

    public static EncoderConfig ReadConfig(string dir, IEnumerable<string>? overrides = null)
    {
        if (!Directory.Exists(dir)) throw new DnaInputException("model directory not found", dir);
        return HfConfigReader.Read(Path.Combine(dir, ConfigFile), overrides);
    }

    /// <summary>model.safetensors, or the shards named by model.safetensors.index.json.</summary>
    public static IReadOnlyList<string> WeightsPath(string dir)
    {
        var single = Path.Combine(dir, WeightsFile);
        if (File.Exists(single)) return [single];
        var index = Path.Combine(dir, IndexFile);
        if (File.Exists(index))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map))
                throw new DnaInputException("sharded index has no weight_map", index);
            return map.EnumerateObject().Select(p => Path.Combine(dir, p.Value.GetString()!)).Distinct().ToList();
        }
        var pickle = Path.Combine(dir, PickleFile);
        if (File.Exists(pickle)) return [pickle];                  // read in place; `dnafm model convert` makes it safetensors
        throw new DnaInputException($"no {WeightsFile}, {IndexFile} or {PickleFile} in the model directory", dir);
    }

    /// <summary>Copies the file's tensors into <paramref name="model"/> with the key checks of <paramref name="loading"/>.</summary>
    public static LoadReport LoadWeights(DnaModel model, IReadOnlyList<string> files, HeadLoading loading = HeadLoading.Strict)
    {
        var file = new Dictionary<string, (Tensor Tensor, string Source)>(StringComparer.Ordinal);
        foreach (var f in files)
            foreach (var (k, t) in ReadTensors(f))
                file[k] = (t, f);
        string where = files.Count == 1 ? files[0] : Path.GetDirectoryName(files[0])!;
        try
        {
            return Apply(model, file.ToDictionary(kv => kv.Key, kv => kv.Value.Tensor), where, loading);
        }
        finally
        {
            foreach (var (t, _) in file.Values) t.Dispose();
        }
    }

    /// <summary>A weights file by its format: safetensors, or a torch.save zip (<c>.bin</c>, <c>.pt</c>, <c>.pth</c>).</summary>
    public static Dictionary<string, Tensor> ReadTensors(string path) =>
        path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? Safetensors.Load(path) : PyTorchPickle.Load(path);

    /// <summary>Applies HF-named tensors to the model (used by safetensors and pickle loading alike).</summary>
    public static LoadReport Apply(DnaModel model, IReadOnlyDictionary<string, Tensor> tensors, string source, HeadLoading loading)
    {
        var config = model.Config;
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var wrongShape = new List<string>();
        var initialized = new List<string>();
        int loaded = 0;
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            var names = HfNaming.External(name, config, model.Heads);
            var parts = new List<Tensor>();
            foreach (var n in names)
            {
                var key = tensors.ContainsKey(n) ? n : HfNaming.Alias(n, config) is string a && tensors.ContainsKey(a) ? a : null;
                if (key is null) continue;
                used.Add(key);
                parts.Add(tensors[key]);
            }
            if (parts.Count != names.Length)
            {
                if (loading == HeadLoading.EncoderOnly && HfNaming.IsHead(name)) initialized.AddRange(names);
                else missing.AddRange(names.Where(n => !tensors.ContainsKey(n)));
                continue;
            }
            using var scope = NewDisposeScope();
            var value = parts.Count == 1 ? parts[0] : cat(parts, 0);
            if (!value.shape.SequenceEqual(p.shape))
            {
                wrongShape.Add($"{string.Join("+", names)}: file [{string.Join(", ", value.shape)}], model [{string.Join(", ", p.shape)}]");
                continue;
            }
            p.copy_(value.to(p.dtype, p.device));
            loaded++;
        }
        // The MLM bias is stored under two names by some writers; both count as used.
        foreach (var k in used.ToList())
            if (HfNaming.Alias(k, config) is string alias && tensors.ContainsKey(alias)) used.Add(alias);

        var ignored = new List<string>();
        var unexpected = new List<string>();
        foreach (var (k, t) in tensors)
        {
            if (used.Contains(k)) continue;
            var reason = HfNaming.IgnoreReason(k, config, model.Heads);
            if (reason is null && loading == HeadLoading.EncoderOnly && !k.StartsWith(HfNaming.Prefix(config.Layout), StringComparison.Ordinal))
                reason = "head not present in this model";
            if (reason is null) unexpected.Add(k);
            else
            {
                if (k.EndsWith(".rotary_embeddings.inv_freq", StringComparison.Ordinal)) CheckInvFreq(k, t, config, source);
                ignored.Add($"{k} ({reason})");
            }
        }
        var problems = new List<string>();
        if (missing.Count > 0) problems.Add($"missing {missing.Count}: {Sample(missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected {unexpected.Count}: {Sample(unexpected)}");
        if (wrongShape.Count > 0) problems.Add($"wrong shape {wrongShape.Count}: {Sample(wrongShape)}");
        if (problems.Count > 0)
            throw new DnaInputException($"checkpoint does not match the {config.Layout} layout of this {ModelFactory.ArchitectureFor(config, model.Heads)}: {string.Join("; ", problems)}", source);
        return new LoadReport(loaded, ignored, initialized);
    }

    private static void CheckInvFreq(string name, Tensor stored, EncoderConfig config, string source)
    {
        using var scope = NewDisposeScope();
        var ours = Layers.RotaryEmbedding.InverseFrequencies(config.HeadDim, CPU);
        if (!stored.shape.SequenceEqual(ours.shape) || !stored.to(ScalarType.Float32).allclose(ours, rtol: 1e-4, atol: 1e-6))
            throw new DnaInputException($"'{name}' holds rotary frequencies that differ from base-10000 RoPE over head size {config.HeadDim}; this checkpoint is not the architecture its config describes", source);
    }

    private static string Sample(List<string> names) =>
        string.Join(", ", names.Take(8)) + (names.Count > 8 ? $", … ({names.Count - 8} more)" : "");
}
