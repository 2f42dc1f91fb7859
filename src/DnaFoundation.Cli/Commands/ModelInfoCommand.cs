using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm model info --model PRESET|DIR</c>: architecture and exact parameter count, without allocating weights.</summary>
public sealed class ModelInfoCommand : ICliCommand
{
    public string Path => "model info";

    public Command Build()
    {
        var model = new Option<string>("--model", "-m") { Description = "A preset (" + string.Join(", ", ModelPresets.Names) + "), a config.json, or a model directory." + ModelLocator.HubHelp, Required = true };
        var heads = new Option<string?>("--heads") { Description = "Heads to count: none, mlm, sequence, token, multitask (default: from the config's architectures)." };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON." };
        var set = CommonOptions.Set();
        var cmd = new Command("info", CommonOptions.WithExamples(
            "Print a model's architecture and exact parameter count (counted on the meta device: nothing is allocated).",
            "dnafm model info --model dnabert2-117m", "dnafm model info --model nt-v2-500m --json", "dnafm model info --model runs/x/final --heads sequence"));
        cmd.Options.Add(model);
        cmd.Options.Add(heads);
        cmd.Options.Add(json);
        cmd.Options.Add(set);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var config = ModelPresets.Load(ModelLocator.Resolve(parse, model, ct), parse.GetValue(set));
            var h = ModelCommands.ParseHeads(parse.GetValue(heads)) ?? ModelFactory.HeadsFor(config.Architectures?.FirstOrDefault());
            if (parse.GetValue(json))
            {
                var report = new JsonObject
                {
                    ["architecture"] = ModelFactory.ArchitectureFor(config, h),
                    ["layout"] = config.Layout.ToString(),
                    ["parameters"] = ModelSummary.ParameterCount(config, h),
                    ["checkpoint_parameters"] = ModelSummary.CheckpointParameterCount(config, h),
                    ["config"] = JsonNode.Parse(JsonSerializer.Serialize(config with { Published = null }, ConfigLoader.Options)),
                };
                if (config.Published is { } published)
                {
                    report["published_family"] = JsonNamingPolicy.KebabCaseLower.ConvertName(published.Family.ToString());
                    report["ignored_config_keys"] = new JsonArray([.. HfConfigReader.IgnoredKeys(published.Config).Select(k => (JsonNode)k)]);
                }
                Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                Console.Write(ModelSummary.Describe(config, h));
                if (config.Published is { } published)
                {
                    // A published config.json: what was recognised, and what transformers wrote that the architecture does not use.
                    Console.WriteLine($"published family   {JsonNamingPolicy.KebabCaseLower.ConvertName(published.Family.ToString())}");
                    Console.WriteLine($"ignored keys       {string.Join(", ", HfConfigReader.IgnoredKeys(published.Config))}");
                }
            }
            return 0;
        });
        return cmd;
    }
}
