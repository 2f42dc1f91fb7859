using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Data.Hub;

namespace DnaFoundation.Cli.Commands;

/// <summary>
/// <c>dnafm model fetch ORG/NAME [--revision REV] [--include GLOB]…</c>: a Hugging Face Hub repository into the
/// standard Hugging Face cache (shared with transformers and huggingface_hub), resumable and verified.
/// </summary>
public sealed class ModelFetchCommand : ICliCommand
{
    public string Path => "model fetch";

    public Command Build()
    {
        var repo = new Argument<string>("repo") { Description = "Hub repository id, ORG/NAME (e.g. zhihan1996/DNABERT-2-117M)." };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit.", DefaultValueFactory = _ => "main" };
        var include = new Option<string[]>("--include")
        {
            Description = "Only files matching this glob (repeatable; * crosses folders, 'dir/' = everything under dir; '*' = the whole repository). "
                + "Default: what a model load needs: config, tokenizer files and one weights format.",
            AllowMultipleArgumentsPerToken = false,
        };
        var cmd = new Command("fetch", CommonOptions.WithExamples(
            "Download a Hugging Face Hub model into the Hugging Face cache ($HF_HUB_CACHE, default ~/.cache/huggingface/hub: "
            + "blobs named by their checksum, snapshots/COMMIT, refs/REVISION), honouring HF_ENDPOINT, HF_HOME, HF_HUB_CACHE, HF_TOKEN "
            + "and HF_HUB_OFFLINE. Interrupted downloads resume (blobs/ETAG.incomplete); every file is checked against the Hub's "
            + "checksum before it becomes a blob. Prints the snapshot folder, which every --model option also accepts, as does the id itself.",
            "dnafm model fetch zhihan1996/DNABERT-2-117M",
            "dnafm model fetch InstaDeepAI/nucleotide-transformer-v2-50m-multi-species --include '*.json' --include vocab.txt --include model.safetensors",
            "HF_TOKEN=hf_... dnafm model fetch ORG/private-model --revision v1.0"));
        cmd.Arguments.Add(repo);
        cmd.Options.Add(revision);
        cmd.Options.Add(include);
        CliAction.Run(cmd, (parse, ct) =>
        {
            var id = parse.GetValue(repo)!;
            if (!HubModels.TryParse(id, out var name, out var rev) || id.Contains('@'))
                throw new DnaInputException($"'{id}' is not a Hub repository id (ORG/NAME, letters, digits, '-', '_', '.'); give the revision with --revision");
            var patterns = parse.GetValue(include) ?? [];
            Func<IReadOnlyList<string>, IReadOnlyList<string>> select = patterns.Length == 0 ? HubModels.ModelFiles : files => HubModels.Matching(files, patterns);
            using var http = HubClient.CreateHttpClient();
            var hub = new HubClient(HubSettings.FromEnvironment(), http, new ConsoleProgress(Console.Error));
            var snapshot = hub.FetchAsync(name, parse.GetValue(revision)!, select, ct).GetAwaiter().GetResult();
            foreach (var f in snapshot.Files)
                Console.WriteLine($"{f.Status,-10} {f.File} ({f.Bytes:N0} bytes)");
            Console.WriteLine($"{snapshot.Repo}@{snapshot.Revision} = commit {snapshot.Commit}");
            Console.WriteLine(snapshot.Dir);
            return 0;
        });
        return cmd;
    }
}
