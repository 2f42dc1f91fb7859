using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

public sealed class CheckpointTests
{
    [Theory]
    [MemberData(nameof(TinyConfigs.All), MemberType = typeof(TinyConfigs))]
    public void Save_then_load_reproduces_the_model(string family)
    {
        var config = TinyConfigs.Get(family) with { NumRegionLabels = 3, NumChromatinLabels = 4 };
        using var dir = new TempDir("ckpt");
        using var model = ModelFactory.Create(config, ModelHeads.MultiTask);
        model.eval();
        ModelDirectory.Save(model, dir.Path);
        var (loaded, report) = ModelDirectory.Load(dir.Path);
        using var _ = loaded;
        loaded.eval();
        Assert.Equal(ModelHeads.MultiTask, loaded.Heads);
        Assert.Empty(report.Initialized);
        var (ids, mask) = EncoderTests.Batch(config.VocabSize, config.PadTokenId ?? 0);
        using var __ = no_grad();
        var a = model.forward(ids, mask);
        var b = loaded.forward(ids, mask);
        Assert.True(a.LastHiddenState.equal(b.LastHiddenState).all().item<bool>());
        Assert.True(a.MlmLogits!.equal(b.MlmLogits!).all().item<bool>());
        Assert.True(a.SequenceLogits!.equal(b.SequenceLogits!).all().item<bool>());
        Assert.True(a.TokenLogits!.equal(b.TokenLogits!).all().item<bool>());
    }

    [Theory]
    [InlineData("mosaic", "bert.encoder.layer.1.attention.self.Wqkv.weight", "bert.encoder.layer.0.mlp.gated_layers.weight", "cls.predictions.decoder.bias")]
    [InlineData("bert", "bert.encoder.layer.1.attention.self.query.weight", "bert.encoder.layer.0.intermediate.dense.weight", "cls.predictions.bias")]
    [InlineData("esm", "esm.encoder.layer.1.attention.self.value.bias", "esm.encoder.emb_layer_norm_after.weight", "lm_head.decoder.weight")]
    [InlineData("albert", "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.key.weight", "albert.encoder.embedding_hidden_mapping_in.weight", "predictions.decoder.bias")]
    public void Checkpoints_use_the_family_names(string family, params string[] expected)
    {
        using var dir = new TempDir("names");
        using var model = ModelFactory.Create(TinyConfigs.Get(family), ModelHeads.MaskedLm);
        ModelDirectory.Save(model, dir.Path);
        var names = Safetensors.ReadHeader(Path.Combine(dir.Path, ModelDirectory.WeightsFile)).Entries.Select(e => e.Name).ToHashSet();
        // ALBERT's MLM bias is named predictions.bias; the alias is what HF also writes — accept either for that row.
        foreach (var n in expected)
            Assert.True(names.Contains(n) || (n == "predictions.decoder.bias" && names.Contains("predictions.bias")), $"{n} not in {string.Join(", ", names.Order())}");
        Assert.DoesNotContain(names, n => n.Contains(".qkv.", StringComparison.Ordinal) || n.Contains("ffn.up", StringComparison.Ordinal));
    }

    [Fact]
    public void Strict_load_names_missing_unexpected_and_misshapen_keys()
    {
        using var dir = new TempDir("strict");
        using var model = ModelFactory.Create(TinyConfigs.MosaicBert, ModelHeads.MaskedLm);
        ModelDirectory.Save(model, dir.Path);
        var path = Path.Combine(dir.Path, ModelDirectory.WeightsFile);
        var tensors = Safetensors.Load(path);

        var missing = new Dictionary<string, Tensor>(tensors);
        missing.Remove("bert.encoder.layer.1.mlp.wo.weight");
        Safetensors.Save(path, missing);
        var e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir.Path));
        Assert.Contains("missing 1: bert.encoder.layer.1.mlp.wo.weight", e.Message);

        var extra = new Dictionary<string, Tensor>(tensors) { ["bert.encoder.layer.7.mlp.wo.weight"] = zeros(2, 2) };
        Safetensors.Save(path, extra);
        e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir.Path));
        Assert.Contains("unexpected 1: bert.encoder.layer.7.mlp.wo.weight", e.Message);

        var misshapen = new Dictionary<string, Tensor>(tensors) { ["bert.embeddings.word_embeddings.weight"] = zeros(5, 36) };
        Safetensors.Save(path, misshapen);
        e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir.Path));
        Assert.Contains("wrong shape 1: bert.embeddings.word_embeddings.weight: file [5, 36], model [37, 36]", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Corrupted_safetensors_fail_with_a_clear_message()
    {
        using var dir = new TempDir("corrupt");
        using var model = ModelFactory.Create(TinyConfigs.Bert, ModelHeads.None);
        ModelDirectory.Save(model, dir.Path);
        var path = Path.Combine(dir.Path, ModelDirectory.WeightsFile);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..^100]);                            // truncated
        var e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir.Path));
        Assert.Contains("truncated", e.Message);

        var garbled = (byte[])bytes.Clone();
        garbled[8] = (byte)'#';                                             // the JSON header's opening brace
        File.WriteAllBytes(path, garbled);
        e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir.Path));
        Assert.Contains("not valid JSON", e.Message);

        File.WriteAllBytes(path, [1, 2, 3]);
        e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir.Path));
        Assert.Contains("not a safetensors file", e.Message);
    }

    [Fact]
    public void Encoder_only_loading_keeps_a_new_head_initialised()
    {
        using var dir = new TempDir("finetune");
        using var pretrained = ModelFactory.Create(TinyConfigs.Bert, ModelHeads.MaskedLm);
        ModelDirectory.Save(pretrained, dir.Path);
        Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir.Path, ModelHeads.Sequence));
        var (model, report) = ModelDirectory.Load(dir.Path, ModelHeads.Sequence, HeadLoading.EncoderOnly);
        using var _ = model;
        Assert.Contains("classifier.weight", report.Initialized);
        Assert.Contains(report.Ignored, i => i.StartsWith("cls.predictions.transform.dense.weight", StringComparison.Ordinal));
        var w0 = pretrained.Encoder.Embeddings.WordEmbeddings.weight!;
        Assert.True(w0.equal(model.Encoder.Embeddings.WordEmbeddings.weight!).all().item<bool>());
    }

    [Fact]
    public void Sharded_checkpoints_load_through_their_index()
    {
        using var dir = new TempDir("sharded");
        using var model = ModelFactory.Create(TinyConfigs.Esm, ModelHeads.MaskedLm);
        ModelDirectory.Save(model, dir.Path);
        var single = Path.Combine(dir.Path, ModelDirectory.WeightsFile);
        var all = Safetensors.Load(single).ToList();
        File.Delete(single);
        var map = new System.Text.Json.Nodes.JsonObject();
        for (int shard = 0; shard < 2; shard++)
        {
            var name = $"model-0000{shard + 1}-of-00002.safetensors";
            var part = all.Where((_, i) => i % 2 == shard).ToList();
            Safetensors.Save(Path.Combine(dir.Path, name), part);
            foreach (var (k, _) in part) map[k] = name;
        }
        File.WriteAllText(Path.Combine(dir.Path, ModelDirectory.IndexFile), new System.Text.Json.Nodes.JsonObject { ["weight_map"] = map }.ToJsonString());
        var (loaded, report) = ModelDirectory.Load(dir.Path);
        using var _ = loaded;
        Assert.Equal(model.parameters().Count(), report.Loaded);
        var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in loaded.named_parameters())
            Assert.True(p.equal(expected[name]).all().item<bool>(), name);
    }

    [Fact]
    public void Safetensors_round_trips_dtypes_and_shapes()
    {
        using var dir = new TempDir("st");
        var path = dir.File("x.safetensors");
        var input = new Dictionary<string, Tensor>
        {
            ["a"] = arange(6, dtype: ScalarType.Float32).view(2, 3),
            ["b"] = tensor(new long[] { -1, 2, 3 }),
            ["c"] = ones(4, dtype: ScalarType.BFloat16),
            ["empty"] = zeros(0, 3),
        };
        Safetensors.Save(path, input, new Dictionary<string, string> { ["note"] = "x" });
        var header = Safetensors.ReadHeader(path);
        Assert.Equal("x", header.Metadata["note"]);
        Assert.Equal(0, header.DataStart % 8);
        var output = Safetensors.Load(path);
        foreach (var (k, v) in input)
        {
            Assert.Equal(v.dtype, output[k].dtype);
            Assert.Equal(v.shape, output[k].shape);
            Assert.True(v.equal(output[k]).all().item<bool>());
        }
    }
}
