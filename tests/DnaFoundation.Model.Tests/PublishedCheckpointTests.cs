using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>
/// Published checkpoints as users get them (fixtures written by tests/reference/ref_published.py with PyTorch, in each
/// family's own key layout, container and config): each directory loads as shipped and reproduces the reference's
/// hidden states and MLM logits within 1e-4 at every real token.
/// </summary>
public sealed class PublishedCheckpointTests
{
    public static IEnumerable<object[]> Families() =>
        [["dnabert6"], ["dnabert2"], ["dnabert-s"], ["nt-v1"], ["nt-v2"], ["grover"], ["gena-lm"]];

    public static string Dir(string family) => TestPaths.Fixture("model", "published", family);

    [Theory]
    [MemberData(nameof(Families))]
    public void Loads_as_shipped_and_matches_the_pytorch_reference(string family)
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        var dir = Dir(family);
        var (model, report) = ModelDirectory.Load(dir);
        using var _ = model;
        model.eval();
        Assert.Empty(report.Initialized);
        var io = Safetensors.Load(Path.Combine(dir, "io.safetensors"));
        var mask = io["attention_mask"];
        using var __ = no_grad();
        var output = model.Run(io["input_ids"], mask);
        var keep = mask.to(ScalarType.Bool);
        ParityTests.AssertClose(io["last_hidden_state"], output.LastHiddenState, keep, "last_hidden_state");
        if (io.TryGetValue("logits", out var logits))
            ParityTests.AssertClose(logits, output.MlmLogits!, keep, "logits");
        else if (io.TryGetValue("logits_every16", out var strided))
            ParityTests.AssertClose(strided, output.MlmLogits![.., .., TensorIndex.Slice(null, null, 16)], keep, "logits (every 16th column)");
        else
            Assert.Null(output.MlmLogits);
    }

    /// <summary>
    /// A sequence classifier in the family's own layout (tests/reference/ref_export_layout.py: the state dict of the
    /// family's XForSequenceClassification with seeded weights, as `dnafm model export` writes a fine-tuned model)
    /// loads with every head tensor from the file and gives the logits of the family's PyTorch classification forward:
    /// what we export computes in PyTorch what it computes here, and what PyTorch users fine-tuned runs here.
    /// </summary>
    [Theory]
    [InlineData("dnabert6")]
    [InlineData("dnabert2")]
    [InlineData("nt-v2")]
    public void A_classifier_in_the_family_layout_gives_the_pytorch_classification_logits(string family)
    {
        using var tensors = NewDisposeScope();
        var dir = TestPaths.Fixture("model", "published-seqcls", family);
        var (model, report) = ModelDirectory.Load(dir);
        using var _ = model;
        model.eval();
        Assert.Empty(report.Initialized);
        Assert.True(model.Heads.HasFlag(ModelHeads.Sequence), $"heads {model.Heads}");
        Assert.Equal("promoter", model.Config.Id2label!["1"]);
        var io = Safetensors.Load(Path.Combine(dir, "io.safetensors"));
        using var __ = no_grad();
        var logits = model.Run(io["input_ids"], io["attention_mask"], heads: ModelHeads.Sequence).SequenceLogits!;
        Assert.Equal(io["logits"].shape, logits.shape);
        double diff = (logits - io["logits"]).abs().max().item<float>();
        Assert.True(diff <= 1e-4, $"{family}: classification logits differ from PyTorch's by {diff:G3}");
    }

    [Fact]
    public void Dnabert_legacy_pickle_with_fork_config_loads_and_adds_the_mlm_bias_twice()
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        var dir = Dir("dnabert6");
        using (var f = File.OpenRead(Path.Combine(dir, "pytorch_model.bin")))
            Assert.Equal(0x80, f.ReadByte());                                  // a legacy pickle, not a zip
        var (model, report) = ModelDirectory.Load(dir);
        using var _ = model;
        Assert.True(model.Config.MlmBiasAddedTwice);
        Assert.Equal(PublishedFamily.Dnabert, model.Config.Published!.Family);
        foreach (var key in new[] { "do_sample", "num_beams", "rnn", "rnn_hidden", "split", "output_past", "torchscript", "use_bfloat16", "pruned_heads", "is_decoder" })
            Assert.Contains(key, report.IgnoredConfigKeys);
        Assert.DoesNotContain("hidden_size", report.IgnoredConfigKeys);
        // The pooler is kept for export; the tied decoder weight is the embeddings; the bias's second name is the same tensor.
        Assert.Contains(report.Ignored, i => i.StartsWith("bert.pooler.dense.weight", StringComparison.Ordinal));
        Assert.Contains("bert.pooler.dense.weight", model.StoredExtras.Keys);
        Assert.Contains(report.Ignored, i => i.StartsWith("cls.predictions.decoder.weight (decoder tied", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Ignored, i => i.StartsWith("cls.predictions.decoder.bias", StringComparison.Ordinal));

        // With the bias added once (modern transformers' head), the logits differ by exactly the bias.
        var io = Safetensors.Load(Path.Combine(dir, "io.safetensors"));
        using var once = new DnaModel(model.Config with { MlmBiasAddedTwice = false }, ModelHeads.MaskedLm);
        ModelDirectory.LoadWeights(once, ModelDirectory.WeightsPath(dir));
        model.eval();
        once.eval();
        using var __ = no_grad();
        var twice = model.Run(io["input_ids"], io["attention_mask"]).MlmLogits!;
        var single = once.Run(io["input_ids"], io["attention_mask"]).MlmLogits!;
        var bias = model.MaskedLmHead!.named_parameters().Single(p => p.name == "bias").parameter;
        Assert.True((twice - single - bias).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Dnabert2_is_recognised_from_auto_map_and_keys_and_a_classifier_gets_a_seeded_pooler()
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        var dir = Dir("dnabert2");
        var config = ModelDirectory.ReadConfig(dir);
        Assert.Equal(PublishedFamily.Dnabert2, config.Published!.Family);
        Assert.Equal(PositionScheme.Alibi, config.PositionEmbeddingType);         // although the file says "absolute"
        Assert.Equal("absolute", config.Published.Config["position_embedding_type"]!.GetValue<string>());
        // No pooler in the MLM file: a sequence classifier's pooler and classifier are the fresh parameters.
        var (model, report) = ModelDirectory.Load(dir, ModelHeads.Sequence, HeadLoading.EncoderOnly);
        using var _ = model;
        Assert.Equal(["sequence.pooler.weight", "sequence.pooler.bias", "sequence.classifier.weight", "sequence.classifier.bias"], report.InitializedParameters);
        // The model was built without initialisation (the file overwrites it); the fresh head got BERT's init.
        var fresh = model.SequenceHead!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(0f, fresh["pooler.bias"].abs().max().item<float>());
        var std = fresh["pooler.weight"].std().item<float>();
        Assert.InRange(std, 0.015f, 0.025f);                                           // normal(0, initializer_range 0.02)
    }

    [Fact]
    public void Dnabert_s_bare_encoder_without_prefix_keeps_its_pretrained_pooler_for_classification()
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        var dir = Dir("dnabert-s");
        var (encoder, report) = ModelDirectory.Load(dir);
        using (encoder)
        {
            Assert.True(report.Unprefixed);
            Assert.Equal(ModelHeads.None, encoder.Heads);
        }
        var (model, withHead) = ModelDirectory.Load(dir, ModelHeads.Sequence, HeadLoading.EncoderOnly);
        using var _ = model;
        Assert.Equal(["sequence.classifier.weight", "sequence.classifier.bias"], withHead.InitializedParameters);
        using var file = TensorFiles.Open(Path.Combine(dir, "pytorch_model.bin"));
        using var pooler = file.Read("pooler.dense.weight");
        var loaded = model.SequenceHead!.named_parameters().Single(p => p.name == "pooler.weight").parameter;
        Assert.True(pooler.equal(loaded).all().item<bool>());
    }

    [Fact]
    public void A_bare_esm_encoder_exported_without_prefix_loads_back_with_its_stored_extras()
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        using var tmp = new TempDir("bare-esm");
        var (encoder, _) = ModelDirectory.Load(Dir("nt-v2"), ModelHeads.None, HeadLoading.EncoderOnly);
        using (encoder) HfExport.Write(encoder, tmp.Path);
        using (var file = TensorFiles.Open(tmp.File("model.safetensors")))
        {
            Assert.Contains("contact_head.regression.weight", file.Names);               // EsmModel.save_pretrained: no "esm."
            Assert.Contains("encoder.layer.0.attention.self.rotary_embeddings.inv_freq", file.Names);
            Assert.DoesNotContain(file.Names, n => n.StartsWith("esm.", StringComparison.Ordinal) || n.StartsWith("lm_head.", StringComparison.Ordinal));
        }
        var (back, report) = ModelDirectory.Load(tmp.Path);
        using var _ = back;
        Assert.True(report.Unprefixed);
        Assert.Equal(ModelHeads.None, back.Heads);
        Assert.Contains("esm.contact_head.regression.weight", back.StoredExtras.Keys);
    }

    [Fact]
    public void Nt_v1_token_dropout_and_a_vocabulary_shorter_than_its_tokenizer()
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        var config = ModelDirectory.ReadConfig(Dir("nt-v1"));
        Assert.True(config.TokenDropout);
        Assert.Equal(Model.PositionIds.AfterPadding, config.PositionNumbering);
        Assert.Equal(4105, config.VocabSize);
        Assert.Equal(4107, File.ReadAllLines(Path.Combine(Dir("nt-v1"), "vocab.txt")).Length);
        // Token dropout is what the golden exercises: its batch holds <mask> tokens (id 2) in two rows.
        var io = Safetensors.Load(Path.Combine(Dir("nt-v1"), "io.safetensors"));
        Assert.True(io["input_ids"].eq(2).sum().item<long>() >= 3);
    }

    [Theory]
    [InlineData("evil-os-system.bin", "posix.system")]
    [InlineData("evil-builtins-eval.bin", "builtins.eval")]
    public void A_malicious_pickle_is_refused_naming_the_global_without_running_it(string file, string global)
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        var path = TestPaths.Fixture("model", "pickle", file);
        var marker = Path.Combine(Directory.GetCurrentDirectory(), "PWNED-by-pickle");
        var e = Assert.Throws<DnaInputException>(() => PyTorchPickle.Load(path));
        Assert.Contains($"global '{global}' is not allowed", e.Message);
        Assert.Contains(path, e.Message);
        Assert.False(File.Exists(marker));
    }
}
