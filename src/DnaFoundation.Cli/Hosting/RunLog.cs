using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// The logger of one command: human-readable lines on stderr, and (when the command has an output directory)
/// every event as one JSON object per line in <c>DIR/log.jsonl</c>, for machines. Serilog lives here, in the host;
/// the libraries get it as an <see cref="Microsoft.Extensions.Logging.ILogger"/> (<see cref="ForLibraries"/>).
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

    /// <summary>
    /// The logger of a rank that is not rank 0: warnings and errors only, on stderr, tagged with the rank (rank 0
    /// logs everything, to its run directory too).
    /// </summary>
    public static Logger Quiet(int rank) => new LoggerConfiguration()
        .MinimumLevel.Is(LogEventLevel.Warning)
        .WriteTo.Console(
            outputTemplate: $"[{{Timestamp:HH:mm:ss}} {{Level:u3}}] rank {rank}: {{Message:lj}}{{NewLine}}{{Exception}}",
            standardErrorFromLevel: LogEventLevel.Verbose,
            formatProvider: System.Globalization.CultureInfo.InvariantCulture)
        .CreateLogger();

    /// <summary>A Serilog logger as the libraries' <see cref="Microsoft.Extensions.Logging.ILogger"/>; events keep their templates and properties.</summary>
    public static Microsoft.Extensions.Logging.ILogger ForLibraries(Serilog.ILogger log) =>
        new Serilog.Extensions.Logging.SerilogLoggerProvider(log).CreateLogger("dnafm");
}
