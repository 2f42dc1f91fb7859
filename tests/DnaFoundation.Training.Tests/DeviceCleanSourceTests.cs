using System.Text.RegularExpressions;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// The part of "device-clean" the meta device cannot show (issue 20.1): libtorch has no meta kernel for the embedding's
/// <c>index_select</c> or for layer norm, so a full forward pass never runs there (MetaDeviceTests). What would break on
/// a GPU is a tensor made on the CPU inside the forward pass or the step. So every tensor factory call in the code a
/// step runs (encoder layers, heads, losses, the encoder, the step engine, the objectives, the inference runner) must
/// name its device; tensors made from another tensor (<c>*_like</c>, <c>.to(x.device)</c>) carry theirs. Host tensors
/// outside this path (loader batches, masker state) reach the device through <c>HostToDevice</c>, shown by the
/// pinned-copy tests.
/// </summary>
public partial class DeviceCleanSourceTests
{
    private static readonly string[] StepPath =
    [
        "src/DnaFoundation.Model/Layers", "src/DnaFoundation.Model/Heads", "src/DnaFoundation.Model/DnaEncoder.cs",
        "src/DnaFoundation.Model/DnaModel.cs", "src/DnaFoundation.Model/Inference/InferenceRunner.cs",
        "src/DnaFoundation.Model/Inference/Readouts.cs", "src/DnaFoundation.Training/Steps",
        "src/DnaFoundation.Training/PretrainingObjective.cs", "src/DnaFoundation.Evaluation/FineTuning/FineTuner.cs",
        "src/DnaFoundation.Evaluation/FineTuning/Lora.cs",
    ];

    [GeneratedRegex(@"(?<![\w.])(?:torch\.)?(?:tensor|zeros|ones|arange|full|empty|randint|rand|randn|eye|linspace|scalar_tensor)\s*\(")]
    private static partial Regex Factory();

    [Fact]
    public void Every_tensor_made_in_the_step_path_names_its_device()
    {
        var files = StepPath.Select(p => Path.Combine(TestPaths.RepoRoot, p))
            .SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p, "*.cs", SearchOption.AllDirectories) : File.Exists(p) ? [p] : [])
            .ToList();
        Assert.True(files.Count >= 15, $"the step path moved: {files.Count} files found");
        var offending = new List<string>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (Match m in Factory().Matches(text))
            {
                int line = text[..m.Index].Count(c => c == '\n') + 1;
                var lineText = text.Split('\n')[line - 1].TrimStart();
                if (lineText.StartsWith("//", StringComparison.Ordinal)) continue;          // comments and XML docs
                // On the device from the start, or made on the host on purpose (a CPU generator, for reproducibility)
                // and moved in the same statement: `rand(…, generator: g).….to(device)`.
                bool named = Arguments(text, m.Index + m.Length).Contains("device", StringComparison.Ordinal)
                    || lineText.Contains(".to(device)", StringComparison.Ordinal);
                if (!named)
                    offending.Add($"{Path.GetRelativePath(TestPaths.RepoRoot, file)}:{line}: {lineText.Trim()}");
            }
        }
        Assert.True(offending.Count == 0, "tensors made without a device in the step path:\n" + string.Join("\n", offending));
    }

    /// <summary>The text of a call's arguments, from after its '(' to the matching ')'.</summary>
    private static string Arguments(string text, int start)
    {
        int depth = 1, i = start;
        while (i < text.Length && depth > 0)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            i++;
        }
        return text[start..Math.Max(start, i - 1)];
    }
}
