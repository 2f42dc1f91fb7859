using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace DnaFoundation.Training.Runs;

/// <summary>
/// The logger of one command: human-readable lines on stderr, and (when the command has an output directory)
/// every event as one JSON object per line in <c>DIR/log.jsonl</c>, for machines.
/// </summary>
public static class RunLog
{
    public const string FileName = "log.jsonl";

    public static Logger Create(string? outputDirectory, bool verbose = false)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Information)
            .WriteTo.Console(
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        if (outputDirectory is not null)
        {
            Directory.CreateDirectory(outputDirectory);
            config = config.WriteTo.File(new CompactJsonFormatter(), Path.Combine(outputDirectory, FileName), shared: true);
        }
        return config.CreateLogger();
    }
}
