using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Model.Runtime;
using TorchSharp;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm info</c>: versions, devices, threads, backend, and a diagnosis when torch does not load.</summary>
public sealed class InfoCommand : ICliCommand
{
    public string Path => "info";

    public Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON." };
        var cmd = new Command("info", CommonOptions.WithExamples(
            "Print versions (DnaFoundation, .NET, TorchSharp, libtorch), devices, threads and the backend; explains why torch fails to load if it does.",
            "dnafm info", "dnafm info --json"));
        cmd.Options.Add(json);
        CliAction.Run(cmd, (parse, _) =>
        {
            var report = Collect();
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            else
                foreach (var (k, v) in report)
                    Console.WriteLine($"{k,-20} {v}");
            return report["torch"] == "loaded" ? 0 : CliAction.InternalError;
        });
        return cmd;
    }

    public static Dictionary<string, string> Collect()
    {
        var r = new Dictionary<string, string>
        {
            ["dnafoundation"] = typeof(InfoCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            [".net"] = RuntimeInformation.FrameworkDescription,
            ["os"] = $"{RuntimeInformation.OSDescription} ({RuntimeInformation.RuntimeIdentifier})",
            ["torchsharp"] = TorchEnvironment.TorchSharpVersion,
            ["libtorch"] = TorchEnvironment.LibTorchVersion,
            ["cpu cores"] = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["native memory"] = $"{NativeAllocator.Policy}; {NativeAllocator.PolicyVariable}=retain|default",
            ["openmp wait policy"] = OpenMpWaitPolicy.Policy,
        };
        var problem = TorchEnvironment.TryLoad();
        if (problem is not null)
        {
            r["torch"] = "NOT LOADED";
            r["diagnosis"] = problem;
            return r;
        }
        r["torch"] = "loaded";
        r["backend"] = TorchEnvironment.Backend.Describe();
        r["libtorch library"] = TorchEnvironment.Backend.LibraryDirectory ?? "unknown";
        r["torch threads"] = torch.get_num_threads().ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool cuda = torch.cuda.is_available();
        r["cuda backend"] = cuda ? "loaded" : (TorchEnvironment.Backend.Kind == "cuda" ? "present, but no usable GPU/driver" : "not loaded (cpu libtorch)");
        var devices = new List<string> { "cpu" };
        if (cuda)
            for (int i = 0; i < torch.cuda.device_count(); i++) devices.Add($"cuda:{i}");
        r["devices"] = string.Join(", ", devices);
        r["default device"] = DeviceChoice.Parse("auto", null).Device.ToString();
        foreach (var (k, v) in BlasReport.InfoRows()) r[k] = v;
        return r;
    }
}
