using System.Text.Json.Nodes;
using DnaFoundation.Evaluation.Export;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Tests;

/// <summary>
/// Published → ours → export: every family's published directory (tests/reference/ref_published.py), and the
/// sequence classifiers in three families' layouts (tests/reference/ref_export_layout.py), are loaded, saved as our
/// model directory, and exported back; the export holds the published tensors byte for byte under the same names and
/// dtypes, and the published config's keys with their values (label names included).
/// </summary>
public sealed class ExportTests
{
    public static IEnumerable<object[]> Families() =>
    [
        ["published", "dnabert6"], ["published", "dnabert2"], ["published", "dnabert-s"], ["published", "nt-v1"], ["published", "nt-v2"],
        ["published", "grover"], ["published", "gena-lm"],
        ["published-seqcls", "dnabert6"], ["published-seqcls", "dnabert2"], ["published-seqcls", "nt-v2"],
    ];

    [Theory]
    [MemberData(nameof(Families))]
    public void Published_then_ours_then_export_round_trips_tensors_and_config(string folder, string family)
    {
        var published = TestPaths.Fixture("model", folder, family);
        using var tmp = new TempDir("export");
        var ours = tmp.File("ours");
        var (model, _) = ModelDirectory.Load(published);
        using (model) ModelDirectory.Save(model, ours);
        foreach (var name in ModelExporter.TokenizerFiles.Where(n => File.Exists(Path.Combine(published, n))))
            File.Copy(Path.Combine(published, name), Path.Combine(ours, name));

        var result = ModelExporter.Export(ours, tmp.File("hf"));

        using var expected = ModelDirectory.OpenWeights(published);
        using var actual = TensorFiles.Open(result.Model.WeightsPath);
        Assert.Equal(expected.Names.Order(StringComparer.Ordinal), actual.Names.Order(StringComparer.Ordinal));
        foreach (var name in expected.Names)
        {
            using var a = expected.Read(name);
            using var b = actual.Read(name);
            Assert.Equal(a.dtype, b.dtype);
            Assert.Equal(a.shape, b.shape);
            Assert.True(a.bytes.SequenceEqual(b.bytes), $"{name} differs");
        }

        var before = JsonNode.Parse(File.ReadAllText(Path.Combine(published, "config.json")))!.AsObject();
        var after = JsonNode.Parse(File.ReadAllText(result.Model.ConfigPath))!.AsObject();
        Assert.Equal(before.Select(kv => kv.Key).Order(StringComparer.Ordinal), after.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach (var (key, value) in before)
            Assert.True(JsonNode.DeepEquals(value, after[key]) || value!.ToJsonString() == after[key]!.ToJsonString(), $"config key '{key}': {value?.ToJsonString()} became {after[key]?.ToJsonString()}");
        foreach (var name in ModelExporter.TokenizerFiles.Where(n => File.Exists(Path.Combine(published, n))))
            Assert.Equal(File.ReadAllBytes(Path.Combine(published, name)), File.ReadAllBytes(Path.Combine(tmp.File("hf"), name)));

        // And the export is itself a published directory that loads strictly.
        var (again, report) = ModelDirectory.Load(tmp.File("hf"));
        using var _ = again;
        Assert.Empty(report.Initialized);
    }

    [Fact]
    public void A_model_trained_here_exports_with_the_family_template_and_remote_code_of_the_original_repository()
    {
        using var tmp = new TempDir("export-new");
        var config = ModelPresets.Load("nt-v2-50m", ["num_hidden_layers=1", "hidden_size=32", "num_attention_heads=2", "intermediate_size=16"]);
        // Built without touching the global random generator (other test classes seed it and run in parallel).
        using (Model.Layers.ModuleInit.SkipInitialization())
        using (var model = new DnaModel(config, ModelHeads.MaskedLm))
        {
            using (no_grad()) foreach (var p in model.parameters()) p.fill_(0.01);
            ModelDirectory.Save(model, tmp.File("ours"));
        }
        var result = ModelExporter.Export(tmp.File("ours"), tmp.File("hf"));
        Assert.Equal(PublishedFamily.NtV2, result.Model.Family);
        var hf = JsonNode.Parse(File.ReadAllText(result.Model.ConfigPath))!.AsObject();
        Assert.False(hf.ContainsKey("model_type"));                               // as NT-v2's own configs
        Assert.Equal("InstaDeepAI/nucleotide-transformer-v2-50m-multi-species--modeling_esm.EsmForMaskedLM", hf["auto_map"]!["AutoModelForMaskedLM"]!.GetValue<string>());
        Assert.False(hf["add_bias_fnn"]!.GetValue<bool>());
        Assert.Equal("rotary", hf["position_embedding_type"]!.GetValue<string>());
        Assert.DoesNotContain(hf, kv => kv.Key is "feed_forward" or "layer_norm_placement" or "checkpoint_layout" or "published");
        var (back, _) = ModelDirectory.Load(tmp.File("hf"));
        using var _b = back;
        Assert.Equal(PositionScheme.Rotary, back.Config.PositionEmbeddingType);
        Assert.Equal(FeedForwardKind.Swiglu, back.Config.FeedForward);
    }
}
