using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Model.Runtime;
using DnaFoundation.Training.Runs;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// The run record of every command that writes outputs (an <c>--output</c>/<c>--out</c> option): <c>run.json</c>
/// and a JSON-lines copy of everything the command printed, beside its outputs — in the output directory, or as
/// <c>FILE.run.json</c> / <c>FILE.log.jsonl</c> beside an output file. They are written when the command ends
/// successfully or is interrupted with its output in place (a resumable state): a command that fails leaves nothing
/// behind, not even a record of the attempt.
/// Commands that keep their own record from the start (pretrain, quickstart: long runs whose kill must be visible)
/// say so to <see cref="CliAction.Run"/> and get none.
/// </summary>
internal sealed class CommandRecord : IDisposable
{
    private static readonly string[] OutputOptionNames = ["--output", "--out"];

    private readonly string output;
    private readonly RunRecord record;
    private readonly ConsoleCapture capture;

    private CommandRecord(string output, RunRecord record, ConsoleCapture capture)
    {
        this.output = output;
        this.record = record;
        this.capture = capture;
    }

    /// <summary>Starts recording when the parsed command writes outputs; null otherwise.</summary>
    public static CommandRecord? Begin(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        string path = CommandPath(parse);
        if (OutputOf(parse) is not string output) return null;

        var options = new JsonObject();
        foreach (var option in command.Options)
        {
            if (option.Name is "--help" || option.Name == CommonOptions.Verbose.Name) continue;
            var value = ValueOf(parse, option);
            options[option.Name.TrimStart('-')] = value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), Core.ConfigLoader.Options);
        }
        var arguments = new JsonObject();
        foreach (var argument in command.Arguments)
        {
            var value = ValueOf(parse, argument, typeof(Argument<>), argument.ValueType);
            arguments[argument.Name] = value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), Core.ConfigLoader.Options);
        }
        var config = new JsonObject { ["options"] = options, ["arguments"] = arguments };
        if (options["config"]?.GetValue<string>() is string configPath && File.Exists(configPath))
            config["config_file"] = ReadConfigFile(configPath);

        long? seed = options["seed"] is JsonValue s && s.TryGetValue(out long sv) ? sv : null;
        string? device = DescribeDevice(options);
        var record = RunRecord.Prepare(RecordPath(output, "run.json"), path, config, seed, device);
        return new CommandRecord(output, record, ConsoleCapture.Start());
    }

    /// <summary>The output folder or file the parsed command writes (its --output/--out value); null when it writes none.</summary>
    public static string? OutputOf(ParseResult parse)
    {
        var outputOption = parse.CommandResult.Command.Options.FirstOrDefault(o => OutputOptionNames.Contains(o.Name));
        // A repeatable --output (predict writes several files) records and locks beside the first one.
        var output = outputOption is null ? null : ValueOf(parse, outputOption) switch
        {
            string one => one,
            string[] { Length: > 0 } many => many[0],
            _ => null,
        };
        return output is { Length: > 0 } && output != "-" ? output : null;
    }

    /// <summary>Writes the record (and the captured log) if the command left its output; <paramref name="exitCode"/> 0 = succeeded.</summary>
    public void Finish(int exitCode, string? error)
    {
        capture.Stop();
        bool exists = Directory.Exists(output) || File.Exists(output);
        if (!exists || (exitCode != 0 && exitCode != 130)) return;
        record.Set("exit_code", exitCode);
        record.Complete(exitCode == 0 ? "succeeded" : exitCode == 130 ? "interrupted" : "failed", error);
        capture.WriteJsonLines(RecordPath(output, RunLog.FileName));
    }

    public void Dispose() => capture.Stop();

    /// <summary>DIR/NAME for an output directory; FILE.NAME for an output file (so several files in one folder keep theirs).</summary>
    private static string RecordPath(string output, string name)
    {
        bool isDirectory = Directory.Exists(output) || (!File.Exists(output) && Path.GetExtension(output).Length == 0);
        return isDirectory ? Path.Combine(output, name) : output + "." + Path.GetFileNameWithoutExtension(name) + Path.GetExtension(name);
    }

    public static string CommandPath(ParseResult parse)
    {
        var words = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            if (r.Parent is not null) words.Insert(0, r.Command.Name);
        return string.Join(' ', words);
    }

    private static object? ValueOf(ParseResult parse, Option option) => ValueOf(parse, option, typeof(Option<>), option.ValueType);

    /// <summary>ParseResult.GetValue&lt;T&gt;(Option&lt;T&gt; or Argument&lt;T&gt;) for a symbol whose T is known only at run time (defaults included).</summary>
    private static object? ValueOf(ParseResult parse, Symbol symbol, Type genericDefinition, Type valueType)
    {
        var method = typeof(ParseResult).GetMethods().First(m => m.Name == nameof(ParseResult.GetValue) && m.IsGenericMethodDefinition
            && m.GetParameters() is [{ ParameterType: { IsGenericType: true } p }] && p.GetGenericTypeDefinition() == genericDefinition);
        return method.MakeGenericMethod(valueType).Invoke(parse, [symbol]);
    }

    private static JsonNode? ReadConfigFile(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException)
        {
            return File.ReadAllText(path); // the command reports the parse error itself; keep the text as it was
        }
    }

    /// <summary>The device asked for and, when torch is loadable, what it resolved to ("auto" → cpu or cuda:0).</summary>
    private static string? DescribeDevice(JsonObject options)
    {
        if (options["device"]?.GetValue<string>() is not string asked) return null;
        int threads = options["threads"] is JsonValue t && t.TryGetValue(out int tv) ? tv : 0;
        try
        {
            return DeviceChoice.Parse(asked, threads).ToString();
        }
        catch (Exception e) when (e is ArgumentException or Core.DnaInputException or TypeInitializationException or DllNotFoundException)
        {
            return asked; // the command reports a bad device or a torch that does not load
        }
    }

    /// <summary>Tees stdout and stderr into memory, keeping the last state of progress-bar lines redrawn with \r.</summary>
    private sealed class ConsoleCapture
    {
        private const int MaxLines = 200_000;
        private readonly TextWriter originalOut, originalError;
        private readonly List<(DateTimeOffset Time, string Stream, string Line)> lines = [];
        private bool stopped;

        private ConsoleCapture(TextWriter o, TextWriter e)
        {
            originalOut = o;
            originalError = e;
        }

        public static ConsoleCapture Start()
        {
            var c = new ConsoleCapture(Console.Out, Console.Error);
            Console.SetOut(new TeeWriter(c.originalOut, line => c.Add("stdout", line)));
            Console.SetError(new TeeWriter(c.originalError, line => c.Add("stderr", line)));
            return c;
        }

        private void Add(string stream, string line)
        {
            lock (lines)
            {
                if (lines.Count < MaxLines) lines.Add((DateTimeOffset.UtcNow, stream, line));
            }
        }

        public void Stop()
        {
            if (stopped) return;
            stopped = true;
            Console.Out.Flush();
            Console.Error.Flush();
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }

        public void WriteJsonLines(string path)
        {
            var sb = new StringBuilder();
            lock (lines)
            {
                foreach (var (time, stream, line) in lines)
                {
                    var o = new JsonObject
                    {
                        ["@t"] = time.ToString("o", CultureInfo.InvariantCulture),
                        ["@l"] = stream == "stderr" && line.StartsWith("error:", StringComparison.Ordinal) ? "Error" : "Information",
                        ["@m"] = line,
                        ["stream"] = stream,
                    };
                    sb.Append(o.ToJsonString()).Append('\n');
                }
            }
            Core.AtomicFile.WriteAllText(path, sb.ToString());
        }
    }

    /// <summary>Writes through to the console and hands every completed line (after its last \r) to a sink.</summary>
    private sealed class TeeWriter(TextWriter inner, Action<string> sink) : TextWriter
    {
        private readonly StringBuilder pending = new();

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            lock (pending) Take(value);
        }

        private void Take(char value)
        {
            if (value != '\n')
            {
                pending.Append(value);
                return;
            }
            var text = pending.ToString().TrimEnd('\r');
            pending.Clear();
            int cr = text.LastIndexOf('\r');                         // a progress bar redrawn in place: keep its last state
            sink(cr >= 0 ? text[(cr + 1)..] : text);
        }

        public override void Write(string? value)
        {
            if (value is null) return;
            inner.Write(value);
            lock (pending)
            {
                foreach (var c in value) Take(c);
            }
        }

        public override void Flush() => inner.Flush();
    }
}
