using System.Globalization;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>
/// Each family's full-size published checkpoint, as its key list records it (names, shapes, dtypes from
/// ../shared/checkpoint-formats/*/keys.*.tsv) with its published config.json, loads strictly on the meta device:
/// every stored tensor is either a parameter of the right shape or one the family stores unused, and nothing the
/// architecture needs is missing. No weight is allocated.
/// </summary>
public sealed class FullSizeKeyListTests
{
    public static IEnumerable<object[]> Checkpoints() =>
    [
        ["dnabert1/config.DNA_bert_3.content-from-code-copy.json", "dnabert1/keys.DNA_bert_3.pytorch_model.bin.tsv", 0L],
        ["dnabert1/config.DNA_bert_4.reconstructed.json", "dnabert1/keys.DNA_bert_4.pytorch_model.bin.tsv", 0L],
        ["dnabert1/config.DNA_bert_5.reconstructed.json", "dnabert1/keys.DNA_bert_5.pytorch_model.bin.tsv", 0L],
        ["dnabert1/config.DNA_bert_6.reconstructed.json", "dnabert1/keys.DNA_bert_6.pytorch_model.bin.tsv", 0L],
        // 117,074,176 unique parameters (NOTES.md: counted from bert_layers.py and the load logs).
        ["dnabert2-117m/config.reconstructed.json", "dnabert2-117m/keys.pytorch_model.bin.tsv", 117_074_176L],
        ["dnabert-s/config.from-MAGICS-LAB-DNABERT_S-evaluate-model_codes.json", "dnabert-s/keys.pytorch_model.bin.tsv", 0L],
        ["nucleotide-transformer-v1/config.500m-human-ref.json", "nucleotide-transformer-v1/keys.500m-human-ref.tsv", 0L],
        ["nucleotide-transformer-v1/config.500m-human-ref.json", "nucleotide-transformer-v1/keys.500m-1000g.tsv", 0L],
        ["nucleotide-transformer-v1/config.2.5b.reconstructed.json", "nucleotide-transformer-v1/keys.2.5b-multi-species.tsv", 0L],
        ["nucleotide-transformer-v1/config.2.5b.reconstructed.json", "nucleotide-transformer-v1/keys.2.5b-1000g.tsv", 0L],
        // 55,904,972 parameters as a third party measured the 50m model (the position table and contact head included).
        ["nucleotide-transformer-v2/config.v2-50m.json", "nucleotide-transformer-v2/keys.v2-50m.model.safetensors.tsv", 55_904_972L],
        ["nucleotide-transformer-v2/config.v2-100m.reconstructed.json", "nucleotide-transformer-v2/keys.v2-100m.model.safetensors.tsv", 0L],
        ["nucleotide-transformer-v2/config.v2-250m.reconstructed.json", "nucleotide-transformer-v2/keys.v2-250m.model.safetensors.tsv", 0L],
        ["nucleotide-transformer-v2/config.v2-500m.json", "nucleotide-transformer-v2/keys.v2-500m.model.safetensors.tsv", 0L],
        ["gena-lm/config.gena-lm-bert-base.content-verified.json", "gena-lm/keys.gena-lm-bert-base.pytorch_model.bin.tsv", 0L],
        ["grover", "grover/keys.pytorch_model.bin.tsv", 0L],
    ];

    /// <summary>GROVER's config was not found in public records; its key list assumes BERT-base with a 609-token vocabulary.</summary>
    private const string GroverConfig = """
        {"architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": 609, "hidden_size": 768, "num_hidden_layers": 12,
         "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu", "max_position_embeddings": 512,
         "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": "absolute",
         "transformers_version": "4.20.1", "torch_dtype": "float32"}
        """;

    [SkippableTheory]
    [MemberData(nameof(Checkpoints))]
    public void Full_size_key_list_loads_strictly_on_the_meta_device(string configPath, string keysPath, long publishedParameters)
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        var keys = TestPaths.CheckpointFormats(keysPath);
        using var tmp = new TempDir("keys");
        string configFile;
        if (configPath == "grover")
        {
            configFile = tmp.File("config.json");
            File.WriteAllText(configFile, GroverConfig);
        }
        else configFile = TestPaths.CheckpointFormats(configPath);
        var config = HfConfigReader.Read(configFile);
        var heads = ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault());
        using var file = new KeyList(keys);
        using var model = new DnaModel(config, heads, new Device("meta"));
        var report = ModelDirectory.Apply(model, file, keys, HeadLoading.Strict);
        Assert.Equal(model.parameters().Count(), report.Loaded);
        Assert.Empty(report.Initialized);
        if (publishedParameters > 0)
            Assert.Equal(publishedParameters, ModelSummary.CheckpointParameterCount(config, heads));
    }

    /// <summary>A key list (name, [shape], dtype per line) as a tensor file whose tensors live on the meta device.</summary>
    private sealed class KeyList : ITensorFile
    {
        private readonly Dictionary<string, TensorMeta> metas = new(StringComparer.Ordinal);

        public KeyList(string path)
        {
            Path = path;
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith('#') || line.StartsWith("name\t", StringComparison.Ordinal) || line.Length == 0) continue;
                var f = line.Split('\t');
                var shape = f[1].Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries).Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
                metas[f[0]] = new TensorMeta(f[2] switch { "F32" => ScalarType.Float32, "I64" => ScalarType.Int64, "F16" => ScalarType.Float16, var d => throw new FormatException(d) }, shape);
            }
            Names = [.. metas.Keys];
        }

        public string Path { get; }

        public IReadOnlyList<string> Names { get; }

        public TensorMeta Meta(string name) => metas[name];

        public Tensor Read(string name) => empty(metas[name].Shape, metas[name].Dtype, device: new Device("meta"));

        public void Dispose() { }
    }
}
