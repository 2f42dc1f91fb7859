using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Model.Runtime;

namespace DnaFoundation.Training.Runs;

/// <summary>
/// <c>run.json</c>: what produced an output directory — command line, resolved config, seed, versions, device,
/// start/end time, outcome and the git commit when run from a checkout. Written at the start (status "running")
/// and rewritten atomically at the end, so a killed run is visible as such.
/// </summary>
public sealed class RunRecord
{
    public const string FileName = "run.json";

    private readonly string path;
    private readonly JsonObject json;

    private RunRecord(string path, JsonObject json)
    {
        this.path = path;
        this.json = json;
    }

    /// <summary>Starts the record of a run directory and writes it at once (status "running").</summary>
    public static RunRecord Start(string outputDirectory, string command, object? resolvedConfig, long? seed, string? device)
    {
        Directory.CreateDirectory(outputDirectory);
        var record = Prepare(Path.Combine(outputDirectory, FileName), command, resolvedConfig, seed, device);
        record.Write();
        return record;
    }

    /// <summary>
    /// Prepares a record that is written only by <see cref="Complete"/>: for commands whose failure must leave no
    /// output behind, not even a record of the attempt.
    /// </summary>
    public static RunRecord Prepare(string recordPath, string command, object? resolvedConfig, long? seed, string? device)
    {
        var json = new JsonObject
        {
            ["command"] = command,
            ["command_line"] = new JsonArray(Environment.GetCommandLineArgs().Skip(1).Select(a => (JsonNode?)a).ToArray()),
            ["working_directory"] = Environment.CurrentDirectory,
            ["config"] = resolvedConfig switch
            {
                null => null,
                JsonNode node => node.DeepClone(),
                _ => JsonSerializer.SerializeToNode(resolvedConfig, resolvedConfig.GetType(), Core.ConfigLoader.Options),
            },
            ["seed"] = seed,
            ["device"] = device,
            ["versions"] = new JsonObject
            {
                ["dnafoundation"] = Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                    ?? typeof(RunRecord).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
                ["dotnet"] = RuntimeInformation.FrameworkDescription,
                ["torchsharp"] = TorchEnvironment.TorchSharpVersion,
                ["libtorch"] = TorchEnvironment.LibTorchVersion,
                ["backend"] = TorchEnvironment.Backend.Describe(),
                ["os"] = RuntimeInformation.OSDescription,
            },
            ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["host"] = Environment.MachineName, ["cpu"] = CpuFeatures.Model },
            ["blas"] = BlasProvider.Current.ToJson(),
            ["git_commit"] = GitCommit(),
            ["start_time"] = DateTimeOffset.UtcNow.ToString("o"),
            ["end_time"] = null,
            ["status"] = "running",
        };
        return new RunRecord(recordPath, json);
    }

    /// <summary>Adds or replaces a top-level entry (e.g. "results") before completion.</summary>
    public void Set(string key, JsonNode? value) => json[key] = value;

    /// <summary>Adds or replaces a top-level entry and rewrites the file at once (for what is known only once the run started).</summary>
    public void Update(string key, JsonNode? value)
    {
        Set(key, value);
        Write();
    }

    public void Complete(string status = "succeeded", string? error = null)
    {
        json["end_time"] = DateTimeOffset.UtcNow.ToString("o");
        json["status"] = status;
        if (error is not null) json["error"] = error;
        Write();
    }

    public JsonObject Snapshot() => (JsonObject)json.DeepClone();

    private void Write()
    {
        Core.AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The commit of the checkout the program runs from (or the working directory), if any.</summary>
    public static string? GitCommit()
    {
        foreach (var dir in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            try
            {
                var psi = new ProcessStartInfo("git", "rev-parse HEAD")
                {
                    WorkingDirectory = dir,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                using var p = Process.Start(psi);
                if (p is null) continue;
                var output = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit(5000);
                if (p.ExitCode == 0 && output.Length >= 40) return output;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null; // git is not installed
            }
        }
        return null;
    }
}
