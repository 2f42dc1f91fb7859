using static TorchSharp.torch;

namespace DnaFoundation.Model.Heads;

/// <summary>The losses that go with the heads; labels of −100 are ignored, as in Hugging Face.</summary>
public static class Losses
{
    public const long IgnoreIndex = -100;

    /// <summary>Cross-entropy over (..., classes) logits and (...) int64 labels (MLM, token classification, single-label).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]).to(ScalarType.Float32), labels.reshape(-1), ignore_index: IgnoreIndex);

    /// <summary>Multi-label (chromatin) loss: sigmoid + binary cross-entropy per label, (B, N) float targets in {0, 1}.</summary>
    public static Tensor MultiLabel(Tensor logits, Tensor targets) =>
        nn.functional.binary_cross_entropy_with_logits(logits.to(ScalarType.Float32), targets.to(ScalarType.Float32));

    public static Tensor Regression(Tensor predictions, Tensor targets) =>
        nn.functional.mse_loss(predictions.to(ScalarType.Float32).squeeze(-1), targets.to(ScalarType.Float32).reshape(predictions.shape[0]));

    /// <summary>The sequence-head loss for an HF <c>problem_type</c> (null = single-label classification).</summary>
    public static Tensor ForProblem(string? problemType, Tensor logits, Tensor labels) => problemType switch
    {
        "multi_label_classification" => MultiLabel(logits, labels),
        "regression" => Regression(logits, labels),
        _ => CrossEntropy(logits, labels),
    };
}
