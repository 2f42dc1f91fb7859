using Microsoft.Extensions.Logging;
using Serilog.Extensions.Logging;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// The libraries log through <see cref="ILogger"/>; tests capture events with a Serilog list sink (level, rendered
/// message) and hand the library this view of it.
/// </summary>
internal static class SerilogBridge
{
    public static ILogger ToLibraryLogger(this Serilog.ILogger log) => new SerilogLoggerProvider(log).CreateLogger("test");
}
