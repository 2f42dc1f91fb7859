using System.Net;
using System.Net.Sockets;

namespace DnaFoundation.TestSupport;

/// <summary>
/// A tiny HTTP server on 127.0.0.1 serving in-memory files with Range support. <see cref="CutFirstResponseAfter"/>
/// drops the first download of a file part-way, to exercise resume. A <see cref="Handler"/> can answer requests
/// first (the mock Hugging Face Hub does) and send bodies through <see cref="Serve"/>. Nothing here touches the
/// internet. Used by the Data tests (ManifestFetcher, the Hub client) and the CLI tests (<c>dnafm data fetch</c>,
/// <c>dnafm model fetch</c>).
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, byte[]> files = new(StringComparer.Ordinal);
    private readonly Task loop;
    private int cutsLeft;

    public string BaseUrl { get; }
    public List<string?> RangeHeaders { get; } = [];

    public LocalHttpServer(int cutFirstResponses = 0)
    {
        cutsLeft = cutFirstResponses;
        int port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}/";
        listener.Prefixes.Add(BaseUrl);
        listener.Start();
        loop = Task.Run(Serve);
    }

    public int CutFirstResponseAfter { get; init; } = 1000;

    /// <summary>Answers a request before the static files are looked at; returns false to fall through to them.</summary>
    public Func<HttpListenerContext, bool>? Handler { get; set; }

    /// <summary>Every request as "METHOD PATH".</summary>
    public List<string> Requests { get; } = [];

    /// <summary>Drops the first <paramref name="count"/> responses of <see cref="Serve"/> after <see cref="CutFirstResponseAfter"/> bytes.</summary>
    public void CutNext(int count) => Interlocked.Exchange(ref cutsLeft, count);

    public void Add(string name, byte[] content) { lock (files) files[name] = content; }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Handle(ctx); }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }
    }

    private void Handle(HttpListenerContext ctx)
    {
        lock (Requests) Requests.Add($"{ctx.Request.HttpMethod} {ctx.Request.Url!.AbsolutePath}");
        if (Handler?.Invoke(ctx) == true) return;
        var name = ctx.Request.Url!.AbsolutePath.TrimStart('/');
        byte[]? body;
        lock (files) files.TryGetValue(name, out body);
        if (body is null)
        {
            lock (RangeHeaders) RangeHeaders.Add(ctx.Request.Headers["Range"]);
            ctx.Response.StatusCode = 404;
            ctx.Response.Close();
            return;
        }
        Serve(ctx, body);
    }

    /// <summary>Sends <paramref name="body"/> (the tail a Range asks for; headers only for HEAD), cut when cuts are pending.</summary>
    public void Serve(HttpListenerContext ctx, byte[] body, bool mayCut = true)
    {
        lock (RangeHeaders) RangeHeaders.Add(ctx.Request.Headers["Range"]);
        var res = ctx.Response;
        long from = 0;
        var range = ctx.Request.Headers["Range"];
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal))
        {
            from = long.Parse(range[6..].TrimEnd('-').Split('-')[0], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= body.Length)
            {
                res.StatusCode = 416;
                res.Close();
                return;
            }
            res.StatusCode = 206;
            res.AddHeader("Content-Range", $"bytes {from}-{body.Length - 1}/{body.Length}");
        }
        res.ContentLength64 = body.Length - from;
        if (ctx.Request.HttpMethod == "HEAD")
        {
            res.Close();
            return;
        }
        if (mayCut && Interlocked.Decrement(ref cutsLeft) >= 0)
        {
            // Send part of the body, then drop the connection.
            res.OutputStream.Write(body, (int)from, Math.Min(CutFirstResponseAfter, body.Length - (int)from));
            res.OutputStream.Flush();
            res.Abort();
            return;
        }
        res.OutputStream.Write(body, (int)from, body.Length - (int)from);
        res.Close();
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
