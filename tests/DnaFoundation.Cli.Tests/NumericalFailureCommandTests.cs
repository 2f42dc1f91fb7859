using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Cli.Tests;

public class NumericalFailureCommandTests
{
    [Fact]
    public void A_fine_tuning_whose_loss_becomes_nan_exits_3_with_one_line_naming_the_step()
    {
        using var dir = new TempDir("nan-model");
        var tokenizer = DnaTokenizers.Load("char");
        var config = new EncoderConfig
        {
            VocabSize = tokenizer.VocabSize, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32,
            MaxPositionEmbeddings = 64, NumLabels = 2, PadTokenId = tokenizer.PadId,
        };
        using (var model = ModelFactory.Create(config, ModelHeads.Sequence))
        {
            using (no_grad()) model.named_parameters().First(p => p.name.StartsWith("encoder.")).parameter.fill_(float.NaN);
            ModelDirectory.Save(model, dir.File("model"));
        }
        var gue = Path.Combine(TestPaths.RepoRoot, "samples", "gue", "prom_core_all");
        var r = CliRunner.Run("finetune", "--model", dir.File("model"), "--tokenizer", "char", "--train", Path.Combine(gue, "dev.csv"),
            "--dev", Path.Combine(gue, "dev.csv"), "--max-length", "32", "--max-steps", "2", "--micro-batch", "16", "--global-batch", "16",
            "--output", dir.File("run"), "--device", "cpu", "--threads", "1");
        Assert.True(r.ExitCode == 3, $"exit {r.ExitCode}: {r.StdErr}");
        var error = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("error:"));
        Assert.StartsWith("error: fine-tuning diverged at step 1: the loss and the gradients became non-finite", error);
        Assert.False(Directory.Exists(Path.Combine(dir.File("run"), "final")));
    }
}
