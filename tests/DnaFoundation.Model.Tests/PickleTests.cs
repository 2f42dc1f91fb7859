using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>torch.save zip files (fixtures written by tests/reference/ref_pickle.py with PyTorch itself).</summary>
public sealed class PickleTests
{
    [Fact]
    public void Reads_views_offsets_dtypes_and_parameters()
    {
        var dir = TestPaths.Fixture("model", "pickle");
        var read = PyTorchPickle.Load(Path.Combine(dir, "odd.bin"));           // nested under "state_dict"
        var expected = Safetensors.Load(Path.Combine(dir, "odd.safetensors"));
        foreach (var (name, t) in expected)
        {
            Assert.Equal(t.dtype, read[name].dtype);
            Assert.Equal(t.shape, read[name].shape);
            Assert.True(t.equal(read[name]).all().item<bool>(), name);
        }
        Assert.Equal(new[] { true, false, true }, read["flags"].data<bool>().ToArray());
        Assert.Empty(read["scalar"].shape);
        Assert.Equal(2.5f, read["scalar"].item<float>());
    }

    [Fact]
    public void A_pytorch_model_bin_loads_like_its_safetensors_twin()
    {
        var (fromPickle, report) = ModelDirectory.Load(TestPaths.Fixture("model", "pickle", "bert"));
        var (fromSafetensors, _) = ModelDirectory.Load(TestPaths.Fixture("model", "parity", "bert"));
        using var a = fromPickle;
        using var b = fromSafetensors;
        Assert.Contains(report.Ignored, i => i.StartsWith("cls.predictions.decoder.weight", StringComparison.Ordinal));
        var pa = a.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in b.named_parameters())
            Assert.True(p.equal(pa[name]).all().item<bool>(), name);
    }

    [Fact]
    public void Convert_writes_safetensors_that_load_strictly()
    {
        using var tmp = new TempDir("convert");
        var r = ModelConversion.Convert(TestPaths.Fixture("model", "pickle", "bert"), tmp.Path);
        Assert.Equal(44, r.Tensors);                                     // 42 parameters + the tied decoder weight and bias
        Assert.True(File.Exists(tmp.File("config.json")));
        var (model, _) = ModelDirectory.Load(tmp.Path);
        using var _ = model;
        var io = Safetensors.Load(TestPaths.Fixture("model", "parity", "bert", "io.safetensors"));
        model.eval();
        using var __ = no_grad();
        var logits = model.forward(io["input_ids"], io["attention_mask"]).MlmLogits!;
        var keep = io["attention_mask"].to(ScalarType.Bool).unsqueeze(-1).expand_as(logits);
        Assert.True((logits - io["logits"]).abs().masked_select(keep).max().item<float>() < 1e-4);
    }

    [Fact]
    public void Not_a_torch_file_is_a_clear_error()
    {
        using var tmp = new TempDir("badpickle");
        File.WriteAllText(tmp.File("pytorch_model.bin"), "not a zip");
        var e = Assert.Throws<DnaInputException>(() => PyTorchPickle.Load(tmp.File("pytorch_model.bin")));
        Assert.Contains("not a zip-format torch.save file", e.Message);
    }
}
