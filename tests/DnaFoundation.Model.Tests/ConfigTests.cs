using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Model.Tests;

public sealed class ConfigTests
{
    [Fact]
    public void Dnabert2_published_config_is_recognised_as_alibi_geglu()
    {
        var c = HfConfigReader.Read(TestPaths.Fixture("model", "configs", "dnabert2-117m.config.json"));
        Assert.Equal(CheckpointLayout.MosaicBert, c.Layout);
        Assert.Equal(PositionScheme.Alibi, c.PositionEmbeddingType);
        Assert.Equal(FeedForwardKind.Geglu, c.FeedForward);
        Assert.Equal(4096, c.VocabSize);
        Assert.Equal(ModelHeads.MaskedLm, ModelFactory.HeadsFor(c.Architectures![0]));
    }

    [Fact]
    public void Nt_v2_config_without_model_type_is_recognised_as_esm_swiglu()
    {
        var c = HfConfigReader.Read(TestPaths.Fixture("model", "configs", "nt-v2-100m.config.json"));
        Assert.Equal(CheckpointLayout.Esm, c.Layout);
        Assert.Equal(NormPlacement.Pre, c.LayerNormPlacement);
        Assert.Equal(FeedForwardKind.Swiglu, c.FeedForward);
        Assert.False(c.FeedForwardBias);
        Assert.Equal(PositionScheme.Rotary, c.PositionEmbeddingType);
        Assert.False(c.TieWordEmbeddings);
        Assert.Equal(22, c.NumHiddenLayers);
        // The same architecture as our preset.
        Assert.Equal(ModelPresets.Load("nt-v2-100m") with { Architectures = null }, c with { Architectures = null, Published = null });
    }

    [Fact]
    public void Unknown_keys_and_bad_values_name_the_key()
    {
        using var dir = new TempDir("cfg");
        var path = dir.File("config.json");
        File.WriteAllText(path, """{"model_type": "bert", "hidden_size": 64, "num_attention_heads": 4, "hiden_layers": 2}""");
        var e = Assert.Throws<DnaInputException>(() => HfConfigReader.Read(path));
        Assert.Contains("hiden_layers", e.Message);
        File.WriteAllText(path, """{"model_type": "bert", "hidden_size": 66, "num_attention_heads": 4}""");
        e = Assert.Throws<DnaInputException>(() => HfConfigReader.Read(path));
        Assert.Contains("hidden_size", e.Message);
        File.WriteAllText(path, """{"model_type": "bert", "position_embedding_type": "relative_key"}""");
        e = Assert.Throws<DnaInputException>(() => HfConfigReader.Read(path));
        Assert.Contains("relative_key", e.Message);
    }

    [Fact]
    public void Published_configs_ignore_what_transformers_writes_and_refuse_what_changes_the_architecture()
    {
        using var dir = new TempDir("policy");
        var path = dir.File("config.json");
        // A transformers 4.x BERT config with serialisation, generation and fork keys: read, those listed as ignored.
        File.WriteAllText(path, """
            {"architectures": ["BertForMaskedLM"], "model_type": "bert", "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 2,
             "intermediate_size": 64, "vocab_size": 69, "transformers_version": "4.44.0", "torch_dtype": "float32", "_name_or_path": "x",
             "_attn_implementation_autoset": true, "num_beams": 1, "temperature": 1.0, "chunk_size_feed_forward": 0, "is_decoder": false,
             "pruned_heads": {}, "tie_encoder_decoder": false, "output_past": true, "classifier_dropout": null}
            """);
        var c = HfConfigReader.Read(path);
        Assert.Equal(PublishedFamily.Bert, c.Published!.Family);
        Assert.Equal(["transformers_version", "torch_dtype", "_name_or_path", "_attn_implementation_autoset", "num_beams", "temperature",
            "chunk_size_feed_forward", "is_decoder", "pruned_heads", "tie_encoder_decoder", "output_past"], HfConfigReader.IgnoredKeys(c.Published.Config));

        foreach (var (key, value) in new[] { ("is_decoder", "true"), ("add_cross_attention", "true"), ("pruned_heads", """{"0": [1]}"""), ("is_encoder_decoder", "true") })
        {
            File.WriteAllText(path, $$"""{"model_type": "bert", "hidden_size": 32, "num_attention_heads": 4, "{{key}}": {{value}}}""");
            var e = Assert.Throws<DnaInputException>(() => HfConfigReader.Read(path));
            Assert.Contains($"key '{key}'", e.Message);
            Assert.Contains("not implemented", e.Message);
        }
        File.WriteAllText(path, """{"model_type": "bert", "hidden_size": 32, "num_attention_heads": 4, "rotary_interleaved": true}""");
        var unknown = Assert.Throws<DnaInputException>(() => HfConfigReader.Read(path));
        Assert.Contains("key 'rotary_interleaved' is neither one transformers writes nor one this tool implements", unknown.Message);
        // Our own configs stay strict: a transformers key in one of ours is an unknown key.
        File.WriteAllText(path, """{"model_type": "bert", "feed_forward": "gelu", "layer_norm_placement": "post", "transformers_version": "4.44.0"}""");
        Assert.Contains("unknown key 'transformers_version'", Assert.Throws<DnaInputException>(() => HfConfigReader.Read(path)).Message);
    }

    [Fact]
    public void Presets_load_by_name_and_accept_overrides()
    {
        Assert.Contains("dnabert2-117m", ModelPresets.Names);
        Assert.Equal(12, ModelPresets.Names.Count);
        foreach (var name in ModelPresets.Names) Assert.NotNull(ModelPresets.Load(name));
        var tiny = ModelPresets.Load("tiny", ["num_hidden_layers=3", "vocab_size=69"]);
        Assert.Equal(3, tiny.NumHiddenLayers);
        Assert.Equal(69, tiny.VocabSize);
        var e = Assert.Throws<DnaInputException>(() => ModelPresets.Load("dnabert-7mer"));
        Assert.Contains("presets:", e.Message);
    }

    [Fact]
    public void Saved_config_reads_back_identically()
    {
        using var dir = new TempDir("cfg2");
        foreach (var name in new[] { "dnabert2-117m", "nt-v2-50m", "logo" })
        {
            var c = ModelPresets.Load(name) with { NumHiddenLayers = 2, NumHiddenGroups = null };
            using var model = new DnaModel(c, ModelHeads.MaskedLm, new TorchSharp.torch.Device("meta"));
            File.WriteAllText(dir.File("config.json"), System.Text.Json.JsonSerializer.Serialize(c, ConfigLoader.Options));
            Assert.Equal(c, HfConfigReader.Read(dir.File("config.json")) with { Architectures = c.Architectures, Id2label = c.Id2label, Label2id = c.Label2id });
        }
    }
}
