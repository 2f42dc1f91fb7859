using DnaFoundation.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DnaFoundation.Model;

/// <summary>Builds models from configs: heads from the HF class name, weights initialised as BERT does.</summary>
public static class ModelFactory
{
    /// <summary>A new model with freshly initialised weights (normal(0, initializer_range), LayerNorm 1/0, biases 0).</summary>
    public static DnaModel Create(EncoderConfig config, ModelHeads heads, Device? device = null)
    {
        // Built directly on the target device: no CPU copy of a large model first.
        var model = new DnaModel(config, heads, device);
        Initialize(model, config.InitializerRange, config.PadTokenId);
        return model;
    }

    /// <summary>The heads an HF architecture name implies (<c>BertForMaskedLM</c> → MaskedLm, …).</summary>
    public static ModelHeads HeadsFor(string? architecture) => architecture switch
    {
        null => ModelHeads.None,
        DnaMultiTaskArchitecture => ModelHeads.MultiTask,
        // GENA-LM's config spells it "BertForPretraining"; transformers resolves the class through auto_map, so the case is not checked there either.
        _ when architecture.EndsWith("ForMaskedLM", StringComparison.Ordinal) || architecture.EndsWith("ForPreTraining", StringComparison.OrdinalIgnoreCase) => ModelHeads.MaskedLm,
        _ when architecture.EndsWith("ForSequenceClassification", StringComparison.Ordinal) => ModelHeads.Sequence,
        _ when architecture.EndsWith("ForTokenClassification", StringComparison.Ordinal) => ModelHeads.Token,
        _ when architecture.EndsWith("Model", StringComparison.Ordinal) => ModelHeads.None,
        _ => throw new DnaInputException($"architecture '{architecture}' is not supported; expected *ForMaskedLM, *ForSequenceClassification, *ForTokenClassification, *Model or {DnaMultiTaskArchitecture}"),
    };

    public const string DnaMultiTaskArchitecture = "DnaMultiTaskModel";

    /// <summary>The HF architecture name for a layout and head set (written to config.json).</summary>
    public static string ArchitectureFor(EncoderConfig config, ModelHeads heads)
    {
        var family = config.Names.ClassStem;
        return heads switch
        {
            ModelHeads.None => family + "Model",
            ModelHeads.MaskedLm => family + "ForMaskedLM",
            ModelHeads.Sequence => family + "ForSequenceClassification",
            ModelHeads.Token => family + "ForTokenClassification",
            ModelHeads.MultiTask => DnaMultiTaskArchitecture,
            _ => throw new ArgumentException($"head combination {heads} has no architecture name; use one head or all three"),
        };
    }

    /// <summary>BERT's initialisation, applied in place.</summary>
    /// <param name="only">Parameter names to initialise (null = all): what a checkpoint did not provide.</param>
    public static void Initialize(nn.Module model, double std, int? paddingIdx, IReadOnlyCollection<string>? only = null)
    {
        using var _ = no_grad();
        bool Wanted(string module) => only is null || only.Any(n => n.StartsWith(module + ".", StringComparison.Ordinal));
        foreach (var (name, m) in model.named_modules())
        {
            if (!Wanted(name)) continue;
            switch (m)
            {
                case Linear lin:
                    lin.weight!.normal_(0, std);
                    lin.bias?.zero_();
                    break;
                case Embedding emb:
                    emb.weight!.normal_(0, std);
                    // As HF: the padding row of the token table starts at zero.
                    if (paddingIdx is int p && name.EndsWith("word_embeddings", StringComparison.Ordinal)) emb.weight[p].zero_();
                    break;
                case Layers.Norm norm:
                    norm.Weight.fill_(1.0);
                    norm.Bias.zero_();
                    break;
            }
        }
        foreach (var (name, p) in model.named_parameters())
        {
            if (only is not null && !only.Contains(name)) continue;
            // Parameters owned directly by our modules (MLM bias, untied decoder) rather than by a Linear.
            if (name.EndsWith("mlm.bias", StringComparison.Ordinal)) p.zero_();
            else if (name.EndsWith("mlm.decoder", StringComparison.Ordinal)) p.normal_(0, std);
        }
    }
}
