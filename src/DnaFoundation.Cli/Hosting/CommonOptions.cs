using System.CommandLine;
using DnaFoundation.Core;
using DnaFoundation.Training.Precision;
using DnaFoundation.Model.Inference;

namespace DnaFoundation.Cli.Hosting;

/// <summary>Options shared by many commands; each command adds the ones it uses.</summary>
public static class CommonOptions
{
    /// <summary>Recursive: valid on every command. Shows stack traces for unexpected errors and debug logs.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show debug logs and the stack trace of unexpected errors.",
        Recursive = true,
    };

    public static Option<string> Device() => new("--device")
    {
        Description = "Where tensors live: auto (CUDA when available), cpu, cuda, cuda:N.",
        DefaultValueFactory = _ => "auto",
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads for torch (0 = all cores).",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string[]> Set() => new("--set")
    {
        Description = "Override a config key: --set key=value (repeatable; dotted keys for nested values).",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string> Precision() => new("--precision")
    {
        Description = "fp32 | bf16 (float32 master weights) | auto (bf16 where the CPU or GPU computes it natively, else fp32).",
        DefaultValueFactory = _ => "fp32",
    };

    /// <summary>The value of a <see cref="Precision"/> option (fp16 is not offered for fine-tuning).</summary>
    public static PrecisionMode ParsePrecision(string? value) => value switch
    {
        "fp32" => PrecisionMode.Fp32,
        "bf16" => PrecisionMode.Bf16,
        "auto" => PrecisionMode.Auto,
        _ => throw new DnaInputException($"--precision '{value}' is not allowed; allowed values: fp32, bf16, auto"),
    };

    /// <summary>--batch-size: maps to <see cref="InferenceOptions.BatchSize"/> (its default is defined there).</summary>
    public static Option<int> BatchSize() => new("--batch-size")
    {
        Description = $"Sequences per forward pass (inputs are grouped by length, results come back in input order).",
        DefaultValueFactory = _ => InferenceOptions.Default.BatchSize,
    };

    /// <summary>--max-batch-tokens: maps to <see cref="InferenceOptions.MaxBatchTokens"/>.</summary>
    public static Option<int> MaxBatchTokens() => new("--max-batch-tokens")
    {
        Description = "Also cap a forward pass at this many padded tokens (rows × longest row); 0 = no cap.",
        DefaultValueFactory = _ => InferenceOptions.Default.MaxBatchTokens,
    };

    /// <summary>The inference options the two options above give (validated; errors name the options).</summary>
    public static InferenceOptions Inference(ParseResult parse, Option<int> batchSize, Option<int> maxBatchTokens)
    {
        int b = parse.GetValue(batchSize), t = parse.GetValue(maxBatchTokens);
        if (b < 1) throw new DnaInputException($"--batch-size {b}: must be at least 1");
        if (t < 0) throw new DnaInputException($"--max-batch-tokens {t}: must be 0 (no cap) or positive");
        return InferenceOptions.Default with { BatchSize = b, MaxBatchTokens = t, SortWindow = Math.Max(b, InferenceOptions.Default.SortWindow) };
    }

    /// <summary>Appends an "Examples:" block to a description, shown by --help.</summary>
    public static string WithExamples(string description, params string[] examples) =>
        description + Environment.NewLine + Environment.NewLine + "Examples:" + Environment.NewLine +
        string.Join(Environment.NewLine, examples.Select(e => "  " + e));
}
