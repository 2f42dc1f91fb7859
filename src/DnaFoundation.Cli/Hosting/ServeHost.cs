using System.Net;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Inference.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DnaFoundation.Cli.Hosting;

/// <summary>
/// The HTTP face of <see cref="InferenceService"/>: Kestrel with four minimal-API endpoints (POST /predict, /embed,
/// /score-variants; GET /health), JSON in and out. Every refusal is an HTTP status with a JSON <c>{"error": ...}</c>
/// body: malformed JSON, unknown bases and bad options 400, oversized bodies, requests or sequences 413, a full queue
/// or a stopping server 503; nothing the client sends gives a 500. SIGTERM/SIGINT stop the host gracefully: no new
/// connections, in-flight requests finish (up to 30 s), then the worker drains and the process exits 0.
/// </summary>
internal static class ServeHost
{
    /// <summary>How long a stopping server waits for in-flight requests.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The address to bind: loopback unless asked otherwise (an IP address, "localhost", or "*" for every interface).</summary>
    public static IPAddress ParseHost(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" => IPAddress.IPv6Any,
        _ => IPAddress.TryParse(host, out var ip) ? ip : throw new DnaInputException($"--host '{host}': give an IP address (127.0.0.1, 0.0.0.0, ::), localhost or *"),
    };

    public static WebApplication Build(InferenceService service, IPAddress address, int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "dnafm" });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = DrainTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = service.Options.MaxRequestBytes;
            if (address.Equals(IPAddress.IPv6Any)) k.ListenAnyIP(port);
            else k.Listen(address, port);
        });
        var app = builder.Build();
        var limits = service.Options;
        app.Use(async (ctx, next) =>
        {
            try
            {
                await next(ctx);
            }
            catch (ServeException e)
            {
                await Error(ctx, e.Status, e.Message);
            }
            catch (BadHttpRequestException e)
            {
                await Error(ctx, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? $"the body is larger than {limits.MaxRequestBytes:N0} bytes" : e.Message);
            }
            catch (DnaInputException e)
            {
                await Error(ctx, StatusCodes.Status400BadRequest, e.Message);
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
                // the client went away
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"error: {ctx.Request.Path}: {e}");
                await Error(ctx, StatusCodes.Status500InternalServerError, $"internal error ({e.GetType().Name}); this is a bug");
            }
        });
        app.MapGet("/health", (HttpContext ctx) => Json(ctx, service.Health()));
        app.MapPost("/predict", async (HttpContext ctx) =>
        {
            var body = ServeRequests.Parse(await Body(ctx));
            await Json(ctx, await service.PredictAsync(ServeRequests.Sequences(body, limits)));
        });
        app.MapPost("/embed", async (HttpContext ctx) =>
        {
            var body = ServeRequests.Parse(await Body(ctx));
            var (pooling, layers) = ServeRequests.EmbedOptions(body);
            await Json(ctx, await service.EmbedAsync(ServeRequests.Sequences(body, limits), pooling, layers));
        });
        app.MapPost("/score-variants", async (HttpContext ctx) =>
        {
            var text = await Body(ctx);
            bool json = ctx.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true || text.TrimStart().StartsWith('{');
            var (variants, scores) = ServeRequests.Variants(text, json, limits);
            if (ctx.Request.Query.TryGetValue("scores", out var q)) scores = ServeRequests.ParseScores(q.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await Json(ctx, await service.ScoreVariantsAsync(variants, scores));
        });
        return app;
    }

    /// <summary>The address the server listens on (the real port when 0 was asked for).</summary>
    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private static async Task<string> Body(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true));
        try
        {
            return await reader.ReadToEndAsync(ctx.RequestAborted);
        }
        catch (DecoderFallbackException)
        {
            throw new ServeException(StatusCodes.Status400BadRequest, "the body is not UTF-8 text");
        }
    }

    private static Task Json<T>(HttpContext ctx, T value) => ctx.Response.WriteAsJsonAsync(value, ServeRequests.Json, ctx.RequestAborted);

    private static Task Error(HttpContext ctx, int status, string message)
    {
        if (ctx.Response.HasStarted) return Task.CompletedTask;
        ctx.Response.Clear();
        ctx.Response.StatusCode = status;
        return ctx.Response.WriteAsJsonAsync(new { error = message }, ServeRequests.Json);
    }
}
