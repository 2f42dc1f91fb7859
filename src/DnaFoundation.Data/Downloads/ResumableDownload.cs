using System.Net;
using System.Net.Http.Headers;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Downloads;

/// <summary>
/// The one way this tool downloads a file (genomes for <c>dnafm data fetch</c>, Hub files for <c>dnafm model fetch</c>):
/// into a partial file that grows across attempts and runs — each request asks for the missing tail with an HTTP
/// Range, a dropped connection is retried where it stopped, and a server that ignores the Range starts the file
/// over. Redirects are followed here (so the Range goes to every hop), and credentials are sent to the first host
/// only. The caller verifies the finished file and renames it into place; nothing here decides a file is good.
/// </summary>
public sealed class ResumableDownload(HttpClient http, IProgress<ProgressInfo>? progress = null)
{
    public int MaxAttempts { get; init; } = 5;

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Hops followed per request (the Hub redirects LFS files to its CDN once).</summary>
    public const int MaxRedirects = 5;

    /// <param name="url">What to download.</param>
    /// <param name="partPath">The partial file: resumed from its length when it exists.</param>
    /// <param name="label">How progress and errors name the download ("species 'hg38'", a file of a repository).</param>
    /// <param name="authorization">Sent to <paramref name="url"/>'s host only, never to a host it redirects to.</param>
    /// <param name="describeFailure">Turns an HTTP error status into advice for the user (appended to the message).</param>
    public async Task DownloadAsync(Uri url, string partPath, string label, AuthenticationHeaderValue? authorization = null,
        Func<HttpStatusCode, string?>? describeFailure = null, CancellationToken ct = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            long have = File.Exists(partPath) ? new FileInfo(partPath).Length : 0;
            try
            {
                using var response = await SendAsync(url, have, authorization, ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
                    return;   // the part file is already whole; the checksum decides
                if (!response.IsSuccessStatusCode)
                {
                    var advice = describeFailure?.Invoke(response.StatusCode);
                    throw new DnaInputException($"{label}: download failed with HTTP {(int)response.StatusCode} {response.ReasonPhrase}" + (advice is null ? "" : $"; {advice}"), url.ToString());
                }
                bool append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
                long? total = response.Content.Headers.ContentLength is long len ? len + (append ? have : 0) : null;
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using var file = new FileStream(partPath, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                var buffer = new byte[1 << 16];
                long done = append ? have : 0;
                int n;
                while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    done += n;
                    progress?.Report(new ProgressInfo("fetch", done, total, "bytes", label));
                }
                if (total is long t && done < t) throw new IOException($"connection closed after {done} of {t} bytes");
                return;
            }
            catch (Exception e) when ((e is IOException or HttpRequestException) && !ct.IsCancellationRequested)
            {
                if (attempt >= MaxAttempts)
                    throw new DnaInputException($"{label}: download failed after {attempt} attempts: {e.Message} (partial file kept as {partPath}; re-run to resume)", url.ToString(), inner: e);
                await Task.Delay(RetryDelay * attempt, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>GET with a Range from <paramref name="have"/>, following redirects (credentials stay with the first host).</summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, long have, AuthenticationHeaderValue? authorization, CancellationToken ct)
    {
        var current = url;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            if (authorization is not null && SameOrigin(current, url)) request.Headers.Authorization = authorization;
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if ((int)response.StatusCode is < 300 or >= 400 || response.StatusCode == HttpStatusCode.NotModified || response.Headers.Location is null)
                return response;
            if (hop >= MaxRedirects)
            {
                response.Dispose();
                throw new DnaInputException($"more than {MaxRedirects} redirects", url.ToString());
            }
            current = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(current, response.Headers.Location);
            response.Dispose();
        }
    }

    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;
}
