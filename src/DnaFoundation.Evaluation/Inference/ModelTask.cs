using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;

namespace DnaFoundation.Evaluation.Inference;

/// <summary>
/// What a fine-tuned model predicts and how its inputs were cut: the task, the label names (class names, multi-label
/// columns, or token classes) and the token length the model was trained at. <c>dnafm finetune</c> writes it beside
/// the weights as <c>task.json</c>, so <see cref="Predictor"/> tokenizes exactly as fine-tuning did; for a model
/// directory without one (fine-tuned elsewhere) it is read off <c>config.json</c> (<see cref="FromConfig"/>).
/// </summary>
public sealed record ModelTask : IValidatableConfig
{
    /// <summary>The file name in a model directory.</summary>
    public const string FileName = "task.json";

    /// <summary>Single-label, multi-label or per-token classification.</summary>
    public FineTuneTask Task { get; init; } = FineTuneTask.SingleLabel;

    /// <summary>One name per class (single-label, token) or label (multi-label), in head order.</summary>
    public string[] Labels { get; init; } = [];

    /// <summary>Tokens per input, special tokens included: longer inputs are truncated, as in fine-tuning.</summary>
    [Range(3, 1 << 20)] public int MaxLength { get; init; } = 128;

    /// <summary>The task as config files spell it: single-label, multi-label, token.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string TaskName => JsonNamingPolicy.KebabCaseLower.ConvertName(Task.ToString());

    /// <inheritdoc />
    public IEnumerable<string> Validate()
    {
        if (Labels.Length == 0) yield return "key 'labels' must name at least one label";
        if (Labels.Distinct(StringComparer.Ordinal).Count() != Labels.Length) yield return "key 'labels' names a label twice";
    }

    /// <summary>Writes <c>task.json</c> into <paramref name="dir"/> (atomically).</summary>
    public void Write(string dir) => OutputFiles.WriteText(Path.Combine(dir, FileName), JsonSerializer.Serialize(this, ConfigLoader.Options) + "\n");

    /// <summary>The directory's <c>task.json</c>, or null when it has none.</summary>
    public static ModelTask? Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        return File.Exists(path) ? ConfigLoader.Load<ModelTask>(path) : null;
    }

    /// <summary>
    /// The task a Hugging Face config describes: <c>*ForTokenClassification</c> → token, <c>problem_type</c>
    /// <c>multi_label_classification</c> → multi-label, else single-label; labels from <c>id2label</c> or 0..N−1;
    /// max length = the model's positions (capped at 512 for position-free models).
    /// </summary>
    public static ModelTask FromConfig(EncoderConfig config, ModelHeads heads, string source)
    {
        FineTuneTask task;
        if (heads.HasFlag(ModelHeads.Token) && !heads.HasFlag(ModelHeads.Sequence)) task = FineTuneTask.Token;
        else if (heads.HasFlag(ModelHeads.Sequence) && !heads.HasFlag(ModelHeads.Token))
            task = config.ProblemType == "multi_label_classification" ? FineTuneTask.MultiLabel : FineTuneTask.SingleLabel;
        else
            throw new DnaInputException($"the model has no single classification head (heads: {heads}); prediction needs a model fine-tuned for one task (dnafm finetune writes one)", source);
        if (config.ProblemType == "regression") throw new DnaInputException("regression heads are not supported for prediction", source);
        int n = config.LabelCount;
        var labels = Enumerable.Range(0, n).Select(i => config.Id2label?.GetValueOrDefault(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        int max = config.PositionEmbeddingType == PositionScheme.Absolute ? config.MaxPositionEmbeddings : Math.Min(config.MaxPositionEmbeddings, 512);
        return new ModelTask { Task = task, Labels = labels, MaxLength = max };
    }
}
