using System.Text.Json;
using System.Text.Json.Nodes;
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
/// <param name="Ignored">File tensors this architecture does not use, "NAME (reason)"; they are kept as <see cref="DnaModel.StoredExtras"/> unless they belong to a head the model lacks.</param>
/// <param name="Initialized">HF names of head parameters the file lacked (they keep their fresh initialisation).</param>
public sealed record LoadReport(int Loaded, IReadOnlyList<string> Ignored, IReadOnlyList<string> Initialized)
{
    /// <summary>Our parameter names behind <see cref="Initialized"/> (e.g. <c>sequence.pooler.weight</c>).</summary>
    public IReadOnlyList<string> InitializedParameters { get; init; } = [];

    /// <summary>Keys of a published config.json that were ignored (transformers bookkeeping, generation, fork keys).</summary>
    public IReadOnlyList<string> IgnoredConfigKeys { get; init; } = [];

    /// <summary>True when the file's names lack the base-model prefix (<c>bert.</c>…): a bare encoder saved on its own (DNABERT-S).</summary>
    public bool Unprefixed { get; init; }
}

/// <summary>
/// A Hugging Face-style model directory: <c>config.json</c> plus weights in any published container —
/// <c>model.safetensors</c>, <c>pytorch_model.bin</c> (zip or legacy torch.save), or shards named by
/// <c>model.safetensors.index.json</c> / <c>pytorch_model.bin.index.json</c>. Tensors are read one at a time straight
/// into the model, so a load peaks near the model's own size. Saving writes temp files and renames them.
/// </summary>
public static class ModelDirectory
{
    /// <summary>The model's configuration, in Hugging Face's format.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>The weights in one safetensors file: what we write.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>Sharded safetensors weights: the index naming each tensor's shard.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The weights as <c>torch.save</c> wrote them (zip or legacy format), read without running the pickle.</summary>
    public const string PickleFile = "pytorch_model.bin";

    /// <summary>Sharded <c>torch.save</c> weights: the index naming each tensor's shard.</summary>
    public const string PickleIndexFile = "pytorch_model.bin.index.json";

    private static readonly JsonSerializerOptions WriteOptions = new(ConfigLoader.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes config.json and model.safetensors under <paramref name="dir"/> (created if needed).</summary>
    public static void Save(DnaModel model, string dir, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(dir);
        var config = model.Config with { Architectures = [ModelFactory.ArchitectureFor(model.Config, model.Heads)] };
        Safetensors.Save(Path.Combine(dir, WeightsFile), ExternalTensors(model).Concat(model.StoredExtras), metadata);
        WriteConfig(config, Path.Combine(dir, ConfigFile));
    }

    /// <summary>Writes <paramref name="config"/> as a Hugging Face <c>config.json</c> (snake_case keys, nulls left out), atomically.</summary>
    public static void WriteConfig(EncoderConfig config, string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(config, WriteOptions) + "\n");

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
    /// Loads a model directory (its weights checked against <c>manifest.json</c> when it has one: a checkpoint or a
    /// run's final model); the heads come from <c>architectures</c> unless <paramref name="heads"/> is given
    /// (then <see cref="HeadLoading.EncoderOnly"/> is the usual choice).
    /// </summary>
    public static (DnaModel Model, LoadReport Report) Load(string dir, ModelHeads? heads = null,
        HeadLoading loading = HeadLoading.Strict, Device? device = null, IEnumerable<string>? overrides = null)
    {
        var config = ReadConfig(dir, overrides);
        var weights = WeightsPath(dir);
        // The weights must be as written; config.json is left out on purpose: people edit it by hand (dropout off for
        // a fine-tune, a longer max_position_embeddings), and its strict reader checks every key anyway.
        CheckpointManifest.Verify(dir, weights.Select(w => Path.GetRelativePath(dir, w)));
        var h = heads ?? ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault());
        // Built without BERT's initialisation pass: the file overwrites every parameter but the fresh heads, initialised below.
        DnaModel model;
        using (Layers.ModuleInit.SkipInitialization()) model = new DnaModel(config, h, device);
        try
        {
            using var file = OpenWeights(dir);
            var report = Apply(model, file, file.Path, loading);
            if (report.InitializedParameters.Count > 0)
                ModelFactory.Initialize(model, config.InitializerRange, config.PadTokenId, report.InitializedParameters);
            return (model, report with { IgnoredConfigKeys = config.Published is { } p ? HfConfigReader.IgnoredKeys(p.Config) : [] });
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a model directory's <c>config.json</c>, ours or a published one of any recognised family, with
    /// <c>key=value</c> <paramref name="overrides"/> applied.
    /// </summary>
    public static EncoderConfig ReadConfig(string dir, IEnumerable<string>? overrides = null)
    {
        if (!Directory.Exists(dir)) throw new DnaInputException("model directory not found", dir);
        return HfConfigReader.Read(Path.Combine(dir, ConfigFile), overrides);
    }

    /// <summary>The weights files of a directory: a single file, or every shard its index names (each checked to exist).</summary>
    public static IReadOnlyList<string> WeightsPath(string dir)
    {
        foreach (var (single, index) in new[] { (WeightsFile, IndexFile), (PickleFile, PickleIndexFile) })
        {
            if (File.Exists(Path.Combine(dir, single))) return [Path.Combine(dir, single)];
            if (File.Exists(Path.Combine(dir, index))) return [.. ReadIndex(Path.Combine(dir, index)).Values.Distinct()];
        }
        throw new DnaInputException($"no weights: none of {WeightsFile}, {IndexFile}, {PickleFile}, {PickleIndexFile} is in the model directory", dir);
    }

    /// <summary>Opens a directory's weights for reading one tensor at a time (shards merged; an index is checked against its shards).</summary>
    public static ITensorFile OpenWeights(string dir)
    {
        foreach (var (single, index) in new[] { (WeightsFile, IndexFile), (PickleFile, PickleIndexFile) })
        {
            if (File.Exists(Path.Combine(dir, single))) return TensorFiles.Open(Path.Combine(dir, single));
            var indexPath = Path.Combine(dir, index);
            if (File.Exists(indexPath)) return ShardedTensors.Open(indexPath, ReadIndex(indexPath));
        }
        throw new DnaInputException($"no weights: none of {WeightsFile}, {IndexFile}, {PickleFile}, {PickleIndexFile} is in the model directory", dir);
    }

    /// <summary>The <c>weight_map</c> of a shard index: tensor name → shard path. Every shard it names must exist.</summary>
    public static IReadOnlyDictionary<string, string> ReadIndex(string indexPath)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        if (ConfigLoader.ParseJson(File.ReadAllText(indexPath), indexPath) is not JsonObject root || root["weight_map"] is not JsonObject map)
            throw new DnaInputException("shard index has no weight_map object", indexPath);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (tensor, file) in map)
        {
            // A shard is a file in this directory: never a path that leads out of it.
            if (file is not JsonValue v || !v.TryGetValue<string>(out var name) || name.Length == 0 || name != Path.GetFileName(name) || name is "." or "..")
                throw new DnaInputException($"weight_map['{tensor}'] = {file?.ToJsonString() ?? "null"} is not a file name in the model directory", indexPath);
            result[tensor] = Path.Combine(dir, name);
        }
        foreach (var shard in result.Values.Distinct())
            if (!File.Exists(shard))
                throw new DnaInputException($"the index names shard '{Path.GetFileName(shard)}', which is not in the model directory (an interrupted download? fetch the model again)", indexPath);
        return result;
    }

    /// <summary>Copies the files' tensors into <paramref name="model"/> with the key checks of <paramref name="loading"/>.</summary>
    public static LoadReport LoadWeights(DnaModel model, IReadOnlyList<string> files, HeadLoading loading = HeadLoading.Strict)
    {
        if (files.Count == 0) throw new ArgumentException("no weights files", nameof(files));
        using var weights = files.Count == 1 ? TensorFiles.Open(files[0]) : ShardedTensors.Open(files);
        return Apply(model, weights, weights.Path, loading);
    }

    /// <summary>A weights file by its format: safetensors, or torch.save (zip or legacy; <c>.bin</c>, <c>.pt</c>, <c>.pth</c>).</summary>
    public static Dictionary<string, Tensor> ReadTensors(string path)
    {
        using var file = TensorFiles.Open(path);
        return file.ReadAll();
    }

    /// <summary>Applies HF-named tensors held in memory to the model.</summary>
    public static LoadReport Apply(DnaModel model, IReadOnlyDictionary<string, Tensor> tensors, string source, HeadLoading loading)
    {
        using var file = new InMemoryTensors(tensors, source);
        return Apply(model, file, source, loading);
    }

    /// <summary>
    /// Applies a file's HF-named tensors to the model, reading each only when its parameter is filled. A file whose
    /// names lack the base-model prefix (a bare encoder saved on its own, as DNABERT-S is) loads as if prefixed.
    /// </summary>
    public static LoadReport Apply(DnaModel model, ITensorFile tensors, string source, HeadLoading loading)
    {
        var config = model.Config;
        var names = config.Names;
        var present = tensors.Names.ToHashSet(StringComparer.Ordinal);
        // transformers' base_model_prefix rule: a state dict without the prefix is the base model's own.
        bool unprefixed = !present.Any(k => k.StartsWith(names.Prefix, StringComparison.Ordinal))
            && present.Any(k => k.StartsWith("embeddings.", StringComparison.Ordinal) || k.StartsWith("encoder.", StringComparison.Ordinal));
        string InFile(string external) => unprefixed && external.StartsWith(names.Prefix, StringComparison.Ordinal) ? external[names.Prefix.Length..] : external;
        // Without the prefix, everything but the heads (which live outside the base model) belonged to the base model.
        string[] heads = [names.Mlm, "cls.", "lm_head.", "predictions.", "sop_classifier.", "classifier", "chromatin_classifier", "region_classifier"];
        string Canonical(string inFile) => unprefixed && !heads.Any(h => inFile.StartsWith(h, StringComparison.Ordinal)) ? names.Prefix + inFile : inFile;

        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var wrongShape = new List<string>();
        var initialized = new List<string>();
        var initializedParameters = new List<string>();
        int loaded = 0;
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            var external = HfNaming.External(name, config, model.Heads);
            var keys = new List<string>();
            foreach (var n in external)
            {
                var key = present.Contains(InFile(n)) ? InFile(n) : HfNaming.Alias(n, config) is string a && present.Contains(InFile(a)) ? InFile(a) : null;
                if (key is not null) keys.Add(key);
            }
            if (keys.Count != external.Length)
            {
                if (loading == HeadLoading.EncoderOnly && HfNaming.IsHead(name))
                {
                    initialized.AddRange(external);
                    initializedParameters.Add(name);
                }
                else missing.AddRange(external.Where(n => !present.Contains(InFile(n))));
                continue;
            }
            used.UnionWith(keys);
            var shapes = keys.Select(k => tensors.Meta(k).Shape).ToList();
            long[] fileShape = shapes.Count == 1 ? shapes[0] : [shapes.Sum(s => s.Length > 0 ? s[0] : 0), .. shapes[0].Skip(1)];
            if (!fileShape.SequenceEqual(p.shape) || shapes.Any(s => !s.Skip(1).SequenceEqual(shapes[0].Skip(1))))
            {
                wrongShape.Add($"{string.Join("+", keys)}: file [{string.Join(", ", shapes.Select(s => string.Join(", ", s)))}], model [{string.Join(", ", p.shape)}]");
                continue;
            }
            // One stored tensor of the parameter's own dtype goes straight into its memory: no copy, no second buffer.
            if (keys.Count == 1 && tensors.TryReadInto(keys[0], p))
            {
                loaded++;
                continue;
            }
            long row = 0;
            foreach (var key in keys)
            {
                using var scope = NewDisposeScope();
                var value = tensors.Read(key);
                var target = keys.Count == 1 ? p : p.narrow(0, row, value.shape[0]);
                target.copy_(value.to(p.dtype, p.device));
                row += value.shape[0];
            }
            loaded++;
        }
        // The MLM bias is stored under two names by some writers; both count as used.
        foreach (var k in used.ToList())
            if (HfNaming.Alias(Canonical(k), config) is string alias && present.Contains(InFile(alias))) used.Add(InFile(alias));

        var ignored = new List<string>();
        var unexpected = new List<string>();
        foreach (var k in tensors.Names)
        {
            if (used.Contains(k)) continue;
            var canonical = Canonical(k);
            var reason = HfNaming.IgnoreReason(canonical, config, model.Heads);
            bool keep = reason is not null && reason != HfNaming.TiedDecoder;
            if (reason is null && loading == HeadLoading.EncoderOnly && !canonical.StartsWith(names.Prefix, StringComparison.Ordinal))
                reason = "head not present in this model";
            if (reason is null)
            {
                unexpected.Add(k);
                continue;
            }
            ignored.Add($"{k} ({reason})");
            if (!keep) continue;
            var t = tensors.Read(k);
            if (k.EndsWith(".rotary_embeddings.inv_freq", StringComparison.Ordinal) && t.device_type != DeviceType.META) CheckInvFreq(k, t, config, source);
            model.KeepExtra(canonical, t);
        }
        var problems = new List<string>();
        if (missing.Count > 0) problems.Add($"missing {missing.Count}: {Sample(missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected {unexpected.Count}: {Sample(unexpected)}");
        if (wrongShape.Count > 0) problems.Add($"wrong shape {wrongShape.Count}: {Sample(wrongShape)}");
        if (problems.Count > 0)
            throw new DnaInputException($"checkpoint does not match the {config.Layout} layout of this {ModelFactory.ArchitectureFor(config, model.Heads)}: {string.Join("; ", problems)}", source);
        return new LoadReport(loaded, ignored, initialized) { InitializedParameters = initializedParameters, Unprefixed = unprefixed };
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
