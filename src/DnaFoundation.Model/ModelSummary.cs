using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace DnaFoundation.Model;

/// <summary>Parameter counts (built on the <c>meta</c> device: no weights are allocated) and a readable architecture summary.</summary>
public static class ModelSummary
{
    /// <summary>Exact number of trainable parameters of our model (tied weights counted once).</summary>
    public static long ParameterCount(EncoderConfig config, ModelHeads heads)
    {
        using var model = new DnaModel(config, heads, new Device("meta"));
        return model.parameters().Sum(p => p.numel());
    }

    /// <summary>
    /// Parameters a Hugging Face checkpoint of this architecture stores: ours plus what HF allocates but the
    /// architecture never uses (ESM's position table in a rotary model, ESM's protein contact head). Published
    /// "model size" figures count these.
    /// </summary>
    public static long CheckpointParameterCount(EncoderConfig config, ModelHeads heads)
    {
        long extra = 0;
        if (config.Names.ModelType == "esm")
        {
            if (config.PositionEmbeddingType != PositionScheme.Absolute) extra += (long)config.MaxPositionEmbeddings * config.HiddenSize;
            extra += (long)config.NumHiddenLayers * config.NumAttentionHeads + 1;
        }
        return ParameterCount(config, heads) + extra;
    }

    /// <summary>Parameter names and shapes (meta device), in module order.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Shapes(EncoderConfig config, ModelHeads heads)
    {
        using var model = new DnaModel(config, heads, new Device("meta"));
        return model.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
    }

    /// <summary>Hugging Face names and shapes of the checkpoint this architecture writes (meta device).</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> CheckpointShapes(EncoderConfig config, ModelHeads heads)
    {
        using var model = new DnaModel(config, heads, new Device("meta"));
        return Checkpoints.ModelDirectory.ExternalTensors(model).Select(kv => (kv.Key, kv.Value.shape)).ToList();
    }

    public static string Describe(EncoderConfig c, ModelHeads heads)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"architecture       {ModelFactory.ArchitectureFor(c, heads)} ({c.Layout} checkpoint layout)");
        sb.AppendLine(ci, $"layers             {c.NumHiddenLayers} × (hidden {c.HiddenSize}, {c.NumAttentionHeads} heads of {c.HeadDim}, feed-forward {Lower(c.FeedForward)} {c.IntermediateSize}{(c.FeedForwardBias ? "" : ", no bias")})");
        if (c.HiddenGroups != c.NumHiddenLayers || c.InnerGroupNum != 1)
            sb.AppendLine(ci, $"layer sharing      {c.HiddenGroups} group(s) × {c.InnerGroupNum} layer(s), shared across {c.NumHiddenLayers / c.HiddenGroups} consecutive layers");
        sb.AppendLine(ci, $"norm               {Lower(c.LayerNormPlacement)}-LN, eps {c.LayerNormEps.ToString("g", ci)}");
        sb.AppendLine(ci, $"positions          {Lower(c.PositionEmbeddingType)}{(c.PositionEmbeddingType == PositionScheme.Absolute ? $" (max {c.MaxPositionEmbeddings} tokens)" : "")}");
        sb.AppendLine(ci, $"vocabulary         {c.VocabSize}{(c.EmbeddingSize is int e && e != c.HiddenSize ? $", factorized embedding {e} → {c.HiddenSize}" : "")}");
        sb.AppendLine(ci, $"activation         {c.HiddenAct}; dropout hidden {c.HiddenDropoutProb.ToString(ci)}, attention {c.AttentionProbsDropoutProb.ToString(ci)}");
        if (heads.HasFlag(ModelHeads.MaskedLm)) sb.AppendLine(ci, $"MLM head           decoder {(c.TieWordEmbeddings ? "tied to the input embeddings" : "untied")}");
        if (heads.HasFlag(ModelHeads.Sequence)) sb.AppendLine(ci, $"sequence head      {c.ClassifierPooling} pooling, {(heads == ModelHeads.MultiTask ? c.NumChromatinLabels ?? c.LabelCount : c.LabelCount)} labels, {c.ProblemType ?? "single_label_classification"}");
        if (heads.HasFlag(ModelHeads.Token)) sb.AppendLine(ci, $"token head         {(heads == ModelHeads.MultiTask ? c.NumRegionLabels ?? c.LabelCount : c.LabelCount)} labels");
        sb.AppendLine(ci, $"parameters         {ParameterCount(c, heads).ToString("N0", ci)}");
        long ckpt = CheckpointParameterCount(c, heads);
        if (ckpt != ParameterCount(c, heads))
            sb.AppendLine(ci, $"HF checkpoint      {ckpt.ToString("N0", ci)} (incl. tensors HF allocates but this architecture never uses)");
        return sb.ToString();
    }

    private static string Lower(Enum e) => e.ToString().ToLowerInvariant();
}
