using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.FineTuning;

/// <summary>A model ready for a task, its tokenizer, and how it came to be (recorded in results).</summary>
public sealed record LoadedModel(DnaModel Model, DnaTokenizer Tokenizer, string Origin, IReadOnlyList<string> InitializedHeads);

/// <summary>
/// Resolves <c>--model</c>: a Hugging Face-style model directory (ours, or a converted HF checkpoint; its tokenizer
/// file is used unless <c>--tokenizer</c> is given) or a preset name from configs/model (random init; needs a
/// tokenizer). <paramref name="randomInit"/> builds the directory's architecture without its weights — the
/// "same model, no pretraining" control. New heads are initialised explicitly from <paramref name="seed"/>.
/// </summary>
public static class ModelSource
{
    public static LoadedModel Load(string spec, string? tokenizerSpec, ModelHeads heads, IEnumerable<string> configOverrides,
        bool randomInit, long seed, Device device)
    {
        var overrides = configOverrides.ToList();
        bool isDir = Directory.Exists(spec);
        var tokSpec = tokenizerSpec ?? (isDir ? spec : throw new DnaInputException($"--model '{spec}' is a preset (random init): give --tokenizer too"));
        var tokenizer = DnaTokenizers.Load(tokSpec);
        random.manual_seed(seed); // encoder init, when random
        DnaModel model;
        string origin;
        IReadOnlyList<string> fresh;
        if (isDir && !randomInit)
        {
            var (m, report) = ModelDirectory.Load(spec, heads, HeadLoading.EncoderOnly, device, overrides);
            model = m;
            origin = $"pretrained weights from {spec} ({report.Loaded} tensors)";
            // Heads the checkpoint lacked are fresh: give them the explicit seeded init.
            fresh = report.Initialized.Count > 0 ? HeadInitializer.Initialize(model, seed) : [];
        }
        else
        {
            var config = ModelPresets.Load(spec, overrides);
            // A preset's vocabulary is sized for its usual tokenizer; fit it to the one given (as pretraining does).
            if (!isDir && !overrides.Any(o => o.StartsWith("vocab_size=", StringComparison.Ordinal)) && config.VocabSize != tokenizer.VocabSize)
                config = config with { VocabSize = tokenizer.VocabSize, PadTokenId = tokenizer.PadId, MaskTokenId = tokenizer.MaskId };
            model = ModelFactory.Create(config, heads, device);
            origin = $"random init (seed {seed}) of the {(isDir ? "architecture in " : "preset ")}{spec}";
            fresh = HeadInitializer.Initialize(model, seed);
        }
        if (model.Config.VocabSize < tokenizer.VocabSize)
            throw new DnaInputException($"tokenizer '{tokSpec}' has {tokenizer.VocabSize} tokens but the model's vocab_size is {model.Config.VocabSize}");
        return new LoadedModel(model, tokenizer, origin, fresh);
    }

    /// <summary>A model directory's encoder (heads dropped) and tokenizer, for embeddings and attention maps.</summary>
    public static (DnaModel Model, DnaTokenizer Tokenizer) LoadEncoder(string dir, string? tokenizerSpec, Device device)
    {
        if (!Directory.Exists(dir)) throw new DnaInputException("--model must be a model directory (config.json, model.safetensors, tokenizer)", dir);
        var tokenizer = DnaTokenizers.Load(tokenizerSpec ?? dir);
        var (model, _) = ModelDirectory.Load(dir, ModelHeads.None, HeadLoading.EncoderOnly, device);
        return (model, tokenizer);
    }
}
