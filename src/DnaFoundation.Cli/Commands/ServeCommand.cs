using System.CommandLine;
using DnaFoundation.Cli.Hosting;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Inference;
using DnaFoundation.Evaluation.Inference.Serving;
using DnaFoundation.Model.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DnaFoundation.Cli.Commands;

/// <summary><c>dnafm serve</c>: the model behind an HTTP JSON API on Kestrel, with dynamic micro-batching.</summary>
public sealed class ServeCommand : ICliCommand
{
    public string Path => "serve";

    public Command Build()
    {
        var d = new ServeOptions();
        var model = new Option<string>("--model") { Description = "Model directory: fine-tuned for /predict (its head and task.json); any for /embed; an MLM head for LLR scores." + ModelLocator.HubHelp, Required = true };
        var genome = new Option<string?>("--genome") { Description = "Reference FASTA for /score-variants (plain or bgzip, indexed)." };
        var host = new Option<string>("--host") { Description = "Address to bind: 127.0.0.1 (default: this machine only), 0.0.0.0 / :: / * (every interface: only on a network you trust).", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port; the address is printed).", DefaultValueFactory = _ => 8080 };
        var maxWait = new Option<int>("--max-wait-ms") { Description = "How long a request waits for others to join its batch.", DefaultValueFactory = _ => d.MaxWaitMs };
        var queue = new Option<int>("--queue-capacity") { Description = "Requests that may wait; more are refused with 503.", DefaultValueFactory = _ => d.QueueCapacity };
        var maxBytes = new Option<int>("--max-request-bytes") { Description = "Largest request body (413 beyond).", DefaultValueFactory = _ => d.MaxRequestBytes };
        var maxSequences = new Option<int>("--max-sequences") { Description = "Sequences or variants per request (413 beyond).", DefaultValueFactory = _ => d.MaxSequencesPerRequest };
        var maxBases = new Option<int>("--max-sequence-bases") { Description = "Bases per sequence (413 beyond).", DefaultValueFactory = _ => d.MaxSequenceBases };
        var rcAverage = new Option<bool>("--rc-average") { Description = "/predict: average forward and reverse-complement predictions." };
        var threshold = new Option<double>("--threshold") { Description = "/predict, multi-label: a label is called at this probability.", DefaultValueFactory = _ => d.Predict.Threshold };
        var window = new Option<int>("--window") { Description = "/score-variants: bases around the variant.", DefaultValueFactory = _ => d.VariantWindow };
        var classIndex = new Option<int>("--class") { Description = "/score-variants: classifier class whose probability change is reported.", DefaultValueFactory = _ => d.ClassIndex };
        var compute = new InferenceCommandOptions();
        var cmd = new Command("serve", CommonOptions.WithExamples(
            "Serve a model over HTTP (JSON): POST /predict {\"sequences\": [...]}, POST /embed {\"sequences\": [...], \"pooling\": \"mean\", \"layers\": [-1]}, " +
            "POST /score-variants (VCF lines as text/plain, or {\"variants\": [{\"chrom\", \"pos\", \"ref\", \"alt\"}]}), GET /health. " +
            "Concurrent requests are micro-batched (up to --batch-size sequences, waiting at most --max-wait-ms). Answers equal the predict, embed and " +
            "score-variants commands'. Binds 127.0.0.1 unless --host says otherwise. SIGTERM/Ctrl-C: in-flight requests finish, then it exits.",
            "dnafm serve --model runs/quickstart/finetune/final --port 8080",
            "curl -s localhost:8080/predict -d '{\"sequences\": [\"TATAAAAGGCGCGCCATGCATG\"]}'",
            "dnafm serve --model runs/quickstart/pretrain/final --genome samples/genome/GRCh37_chr20_sample.fa.gz --port 0"));
        foreach (var o in (Option[])[model, genome, host, port, maxWait, queue, maxBytes, maxSequences, maxBases, rcAverage, threshold, window, classIndex, .. compute.All])
            cmd.Options.Add(o);
        CliAction.Run(cmd, (parse, cancel) =>
        {
            var choice = compute.Device.Apply(parse);
            int p = parse.GetValue(port);
            if (p is < 0 or > 65535) throw new DnaInputException($"--port {p}: must be 0..65535");
            var address = ServeHost.ParseHost(parse.GetValue(host)!);
            var options = new ServeOptions
            {
                Predict = new PredictOptions { Inference = compute.Inference(parse), RcAverage = parse.GetValue(rcAverage), Threshold = parse.GetValue(threshold) },
                MaxWaitMs = parse.GetValue(maxWait), QueueCapacity = parse.GetValue(queue), MaxRequestBytes = parse.GetValue(maxBytes),
                MaxSequencesPerRequest = parse.GetValue(maxSequences), MaxSequenceBases = parse.GetValue(maxBases),
                VariantWindow = parse.GetValue(window), ClassIndex = parse.GetValue(classIndex),
            };
            ConfigLoader.Validate(options, "serve options", "");
            using var service = new InferenceService(ModelLocator.Resolve(parse, model, cancel), parse.GetValue(genome), choice, options);
            var app = ServeHost.Build(service, address, p);
            try
            {
                app.StartAsync(cancel).GetAwaiter().GetResult();
                var health = service.Health();
                Console.WriteLine($"listening on {ServeHost.Address(app)} ({string.Join(", ", health.Endpoints)})");
                var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
                lifetime.ApplicationStopping.Register(() => Console.Error.WriteLine($"stopping: finishing in-flight requests (up to {ServeHost.DrainTimeout.TotalSeconds:F0} s)"));
                app.WaitForShutdownAsync(cancel).GetAwaiter().GetResult();
            }
            finally
            {
                app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            Console.Error.WriteLine("stopped");
            return 0;
        });
        return cmd;
    }
}
