using System.CommandLine;
using DnaFoundation.Model.Inference;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Cli.Hosting;

/// <summary>--device and --threads: every command that computes adds both and starts by <see cref="Apply"/>.</summary>
public sealed class DeviceOptions
{
    public Option<string> Device { get; } = CommonOptions.Device();

    public Option<int> Threads { get; } = CommonOptions.Threads();

    public Option[] All => [Device, Threads];

    /// <summary>The device and thread count asked for, applied to the calling thread (torch's thread pool, the default device).</summary>
    public DeviceChoice Apply(ParseResult parse)
    {
        var choice = DeviceChoice.Parse(parse.GetValue(Device), parse.GetValue(Threads));
        choice.ApplyToCurrentThread();
        return choice;
    }
}

/// <summary>
/// The batched-inference commands' shared options (predict, serve, embed, ism, motifs, score-variants): --batch-size and
/// --max-batch-tokens, mapped onto <see cref="InferenceOptions"/> where their defaults live, and the device options.
/// </summary>
public sealed class InferenceCommandOptions
{
    private readonly Option<int> batchSize = CommonOptions.BatchSize();
    private readonly Option<int> maxBatchTokens = CommonOptions.MaxBatchTokens();

    public DeviceOptions Device { get; } = new();

    public Option[] All => [batchSize, maxBatchTokens, .. Device.All];

    /// <summary>The validated inference options (errors name the options).</summary>
    public InferenceOptions Inference(ParseResult parse) => CommonOptions.Inference(parse, batchSize, maxBatchTokens);
}
