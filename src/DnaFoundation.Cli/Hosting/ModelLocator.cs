using System.CommandLine;
using DnaFoundation.Data.Hub;
using DnaFoundation.Model.Checkpoints;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// What every <c>--model</c> option accepts besides a local directory or a preset: a Hugging Face Hub id
/// (<c>ORG/NAME</c>, optionally <c>@REVISION</c>), resolved from the Hugging Face cache and fetched into it when
/// missing (unless HF_HUB_OFFLINE is set). With --verbose, the keys of a published config.json that were ignored are listed.
/// </summary>
internal static class ModelLocator
{
    public const string HubHelp = " A Hugging Face Hub id (ORG/NAME[@REVISION]) is taken from the Hugging Face cache, or fetched into it.";

    public static string Resolve(ParseResult parse, Option<string> option, CancellationToken ct)
    {
        var spec = parse.GetValue(option)!;
        var path = Resolve(spec, ct);
        if (parse.GetValue(CommonOptions.Verbose)) DescribeConfig(path);
        return path;
    }

    public static string Resolve(string spec, CancellationToken ct)
    {
        if (!HubModels.IsHubId(spec)) return spec;
        using var http = HubClient.CreateHttpClient();
        var hub = new HubClient(HubSettings.FromEnvironment(), http, new ConsoleProgress(Console.Error));
        var dir = HubModels.ResolveAsync(spec, hub, ct).GetAwaiter().GetResult();
        Console.Error.WriteLine($"{spec}: {dir}");
        return dir;
    }

    private static void DescribeConfig(string path)
    {
        var config = Path.Combine(path, ModelDirectory.ConfigFile);
        if (!File.Exists(config)) return;
        var c = HfConfigReader.Read(config);
        if (c.Published is { } p)
            Console.Error.WriteLine($"{config}: published {System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(p.Family.ToString())} config; ignored keys transformers wrote: {string.Join(", ", HfConfigReader.IgnoredKeys(p.Config))}");
    }
}
