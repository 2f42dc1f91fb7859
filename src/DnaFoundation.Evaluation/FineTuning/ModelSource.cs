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
/// tokenizer). <c>randomInit</c> builds the directory's architecture without its weights — the
/// "same model, no pretraining" control. New heads are initialised explicitly from <c>seed</c>.
/// </summary>
public static class ModelSource
{
    public static LoadedModel Load(string spec, string? tokenizerSpec, ModelHeads heads, IEnumerable<string> configOverrides,
        bool randomInit, long seed, Device device)
    {
        var overrides = configOverrides.ToList();
        bool isDir = Directory.Exists(spec);
        var tokSpec = tokenizerSpec ?? (isDir ? spec : throw new DnaInputException($"model '{spec}' is a preset (random init): a tokenizer must be given too"));
        var tokenizer = DnaTokenizers.Load(tokSpec);
        random.manual_seed(seed); // encoder init, when random
        DnaModel model;
        string origin;
        IReadOnlyList<string> fresh;
        if (isDir && !randomInit)
        {
            var (m, report) = ModelDirectory.Load(spec, heads, HeadLoading.EncoderOnly, device, overrides);
            model = m;
            // Heads the checkpoint lacked are fresh: give them the explicit seeded init (a pooler the file has, as
            // DNABERT's and DNABERT-S's do, keeps its pretrained weights; DNABERT-2's MLM file has none).
            fresh = report.InitializedParameters.Count > 0 ? HeadInitializer.Initialize(model, seed, report.InitializedParameters) : [];
            origin = $"pretrained weights from {spec} ({report.Loaded} tensors)" + (fresh.Count > 0 ? $"; {Describe(fresh)} not in the checkpoint: initialised from seed {seed}" : "");
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
        CheckVocabulary(model.Config, tokenizer, tokSpec);
        return new LoadedModel(model, tokenizer, origin, fresh);
    }

    /// <summary>
    /// Every id the tokenizer can emit must have an embedding row. NT-v1's vocab.txt has 4,107 entries for 4,105 rows:
    /// its last two, &lt;eos&gt; and &lt;bos&gt;, are never emitted, as in the original model.
    /// </summary>
    public static void CheckVocabulary(EncoderConfig config, DnaTokenizer tokenizer, string tokenizerSource)
    {
        if (tokenizer.HighestEmittedId >= config.VocabSize)
            throw new DnaInputException($"tokenizer '{tokenizerSource}' emits ids up to {tokenizer.HighestEmittedId} but the model's vocab_size is {config.VocabSize}");
    }

    private static string Describe(IReadOnlyList<string> fresh)
    {
        var parts = fresh.Select(n => n[..n.LastIndexOf('.')]).Distinct().ToList();
        return string.Join(", ", parts);
    }

    /// <summary>A model directory's encoder (heads dropped) and tokenizer, for embeddings and attention maps.</summary>
    public static (DnaModel Model, DnaTokenizer Tokenizer) LoadEncoder(string dir, string? tokenizerSpec, Device device)
    {
        if (!Directory.Exists(dir)) throw new DnaInputException("model must be a model directory (config.json, model.safetensors, tokenizer)", dir);
        var tokenizer = DnaTokenizers.Load(tokenizerSpec ?? dir);
        var (model, _) = ModelDirectory.Load(dir, ModelHeads.None, HeadLoading.EncoderOnly, device);
        CheckVocabulary(model.Config, tokenizer, tokenizerSpec ?? dir);
        return (model, tokenizer);
    }
}
