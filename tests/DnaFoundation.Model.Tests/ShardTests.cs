using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>Sharded checkpoints whose index and shards disagree (published fixtures copied and damaged).</summary>
public sealed class ShardTests
{
    private static string Copy(TempDir tmp, string family)
    {
        var dir = tmp.File(family);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(TestPaths.Fixture("model", "published", family)))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    [Fact]
    public void An_index_naming_a_missing_shard_or_a_shard_without_the_tensor_names_the_file()
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        using var tmp = new TempDir("shards");
        var dir = Copy(tmp, "grover");
        var index = Path.Combine(dir, ModelDirectory.PickleIndexFile);
        var text = File.ReadAllText(index);

        // The index maps a tensor to the other shard, which does not hold it.
        File.WriteAllText(index, text.Replace("\"bert.embeddings.word_embeddings.weight\": \"pytorch_model-00001-of-00002.bin\"", "\"bert.embeddings.word_embeddings.weight\": \"pytorch_model-00002-of-00002.bin\""));
        var e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir));
        Assert.Contains("the index maps 'bert.embeddings.word_embeddings.weight' to pytorch_model-00002-of-00002.bin, which does not hold it", e.Message);
        Assert.StartsWith(index, e.Message);

        // A shard the index names is not there.
        File.WriteAllText(index, text);
        File.Delete(Path.Combine(dir, "pytorch_model-00002-of-00002.bin"));
        e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir));
        Assert.Contains("names shard 'pytorch_model-00002-of-00002.bin', which is not in the model directory", e.Message);

        // A truncated zip pickle.
        var first = Path.Combine(dir, "pytorch_model-00001-of-00002.bin");
        var bytes = File.ReadAllBytes(first);
        File.WriteAllBytes(first, bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<DnaInputException>(() => TensorFiles.Open(first));
        Assert.Contains("truncated or damaged", e.Message);
    }

    [Fact]
    public void A_truncated_legacy_pickle_names_the_storage_and_offset()
    {
        using var tensors = NewDisposeScope();   // every tensor of the test freed here, none left to a finalizer
        using var tmp = new TempDir("legacy");
        var dir = Copy(tmp, "dnabert6");
        var bin = Path.Combine(dir, ModelDirectory.PickleFile);
        var bytes = File.ReadAllBytes(bin);
        File.WriteAllBytes(bin, bytes[..^1000]);
        var e = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(dir));
        Assert.StartsWith(bin, e.Message);
        Assert.Contains("past the end of the file (truncated? fetch it again)", e.Message);
    }
}
