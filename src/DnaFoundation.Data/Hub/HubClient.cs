using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using DnaFoundation.Core;
using DnaFoundation.Data.Downloads;
using DnaFoundation.Data.Genomes;

namespace DnaFoundation.Data.Hub;

/// <summary>One file of a fetch and what happened to it: downloaded, present (already a blob or in the snapshot), cached (offline).</summary>
public sealed record HubFileResult(string File, string Status, long Bytes);

/// <summary>A repository revision in the local cache.</summary>
public sealed record HubSnapshot(string Repo, string Revision, string Commit, string Dir, IReadOnlyList<HubFileResult> Files);

/// <summary>
/// Downloads Hugging Face Hub repositories into the standard cache (<see cref="HubCache"/>), speaking the Hub's HTTP
/// interface as <c>huggingface_hub</c> does: the file list from <c>GET /api/models/REPO/revision/REV</c> (its
/// <c>sha</c> and <c>siblings[].rfilename</c>), each file's metadata from <c>HEAD /REPO/resolve/COMMIT/PATH</c>
/// (<c>X-Repo-Commit</c>, <c>ETag</c> or for LFS files <c>X-Linked-Etag</c>/<c>X-Linked-Size</c>, and a redirect to
/// the CDN), then the bytes with <see cref="ResumableDownload"/>. Each file is verified against its ETag (sha256 of
/// LFS files; git blob sha1 of the others) before it becomes a blob. Errors are one line naming the URL and what to do.
/// </summary>
public sealed class HubClient(HubSettings settings, HttpClient http, IProgress<ProgressInfo>? progress = null)
{
    public HubCache Cache { get; } = new(settings.CacheDir);

    /// <summary>
    /// An HttpClient for the Hub: redirects are not followed automatically, because the metadata of an LFS file is on
    /// the Hub's redirect itself (<see cref="ResumableDownload"/> follows the download's redirects).
    /// </summary>
    public static HttpClient CreateHttpClient() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None }) { Timeout = TimeSpan.FromHours(6) };

    public HubSettings Settings => settings;

    /// <summary>
    /// Fetches the files of <paramref name="repo"/> at <paramref name="revision"/> that <paramref name="select"/> keeps
    /// (given the repository's file list); offline, returns what the cache holds of them.
    /// </summary>
    public async Task<HubSnapshot> FetchAsync(string repo, string revision, Func<IReadOnlyList<string>, IReadOnlyList<string>> select, CancellationToken ct = default)
    {
        if (settings.Offline) return Cached(repo, revision, select);
        var (commit, files) = await ListAsync(repo, revision, ct).ConfigureAwait(false);
        var selected = select(files);
        if (selected.Count == 0)
            throw new DnaInputException($"no file of {repo} at {revision} is selected ({files.Count} in the repository: {string.Join(", ", files.Take(8))}{(files.Count > 8 ? ", …" : "")})", RepoUrl(repo).ToString());
        var results = new List<HubFileResult>();
        foreach (var file in selected)
            results.Add(await FetchFileAsync(repo, commit, file, ct).ConfigureAwait(false));
        Cache.WriteRef(repo, revision, commit);
        return new HubSnapshot(repo, revision, commit, Cache.SnapshotDir(repo, commit), results);
    }

    /// <summary>The commit a revision points at and the repository's files, from the Hub's model API.</summary>
    public async Task<(string Commit, IReadOnlyList<string> Files)> ListAsync(string repo, string revision, CancellationToken ct = default)
    {
        var url = new Uri(settings.Endpoint, $"api/models/{repo}/revision/{Uri.EscapeDataString(revision)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        Authorize(request);
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw Failure(response, url, repo, revision, null);
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            var root = doc.RootElement;
            var commit = root.GetProperty("sha").GetString() ?? throw new KeyNotFoundException("sha");
            if (!HubCache.IsCommitHash(commit)) throw new FormatException($"'{commit}' is not a commit hash");
            var files = root.GetProperty("siblings").EnumerateArray().Select(s => s.GetProperty("rfilename").GetString()!).ToList();
            return (commit, files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new DnaInputException($"the Hub's answer for {repo} at {revision} is not a model description ({e.Message}); is HF_ENDPOINT a Hugging Face Hub?", url.ToString());
        }
    }

    private HubSnapshot Cached(string repo, string revision, Func<IReadOnlyList<string>, IReadOnlyList<string>> select)
    {
        var dir = Cache.FindSnapshot(repo, revision)
            ?? throw new DnaInputException($"HF_HUB_OFFLINE is set and {repo} at revision '{revision}' is not in the cache; fetch it with network access (`dnafm model fetch {repo}`) or unset HF_HUB_OFFLINE", Cache.RepoDir(repo));
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/')).Order(StringComparer.Ordinal).ToList();
        var selected = select(files);
        if (selected.Count == 0)
            throw new DnaInputException($"HF_HUB_OFFLINE is set and the cached snapshot of {repo} holds none of the selected files", dir);
        return new HubSnapshot(repo, revision, Path.GetFileName(dir), dir,
            [.. selected.Select(f => new HubFileResult(f, "cached", new FileInfo(Path.Combine(dir, f)).Length))]);
    }

    private async Task<HubFileResult> FetchFileAsync(string repo, string commit, string file, CancellationToken ct)
    {
        var inSnapshot = Path.Combine([Cache.SnapshotDir(repo, commit), .. file.Split('/')]);
        if (File.Exists(inSnapshot)) return new HubFileResult(file, "present", new FileInfo(inSnapshot).Length);

        var url = new Uri(settings.Endpoint, $"{repo}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");
        var meta = await HeadAsync(url, repo, commit, file, ct).ConfigureAwait(false);
        var blob = Cache.BlobPath(repo, meta.Etag);
        if (File.Exists(blob))
        {
            Cache.Link(repo, commit, file, meta.Etag);
            return new HubFileResult(file, "present", new FileInfo(blob).Length);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var part = Cache.IncompletePath(repo, meta.Etag);
        var auth = settings.Token is null ? null : new AuthenticationHeaderValue("Bearer", settings.Token);
        await new ResumableDownload(http, progress).DownloadAsync(meta.Download, part, $"{repo}/{file}", auth,
            status => Advice(status, repo, commit, file), ct).ConfigureAwait(false);
        await VerifyAsync(part, meta, url, ct).ConfigureAwait(false);
        File.Move(part, blob, overwrite: true);
        Cache.Link(repo, commit, file, meta.Etag);
        return new HubFileResult(file, "downloaded", new FileInfo(blob).Length);
    }

    /// <summary>What the Hub says of one file before it is downloaded.</summary>
    private sealed record FileMeta(string Etag, long? Size, Uri Download);

    /// <summary>
    /// HEAD on the resolve URL. Relative redirects (a renamed repository) are followed; an absolute one is the CDN
    /// location of an LFS file, whose metadata is on this response (X-Linked-Etag, X-Linked-Size).
    /// </summary>
    private async Task<FileMeta> HeadAsync(Uri url, string repo, string commit, string file, CancellationToken ct)
    {
        var current = url;
        for (int hop = 0; hop <= ResumableDownload.MaxRedirects; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, current);
            request.Headers.AcceptEncoding.ParseAdd("identity");
            Authorize(request);
            using var response = await SendAsync(request, ct).ConfigureAwait(false);
            var location = response.Headers.Location;
            bool redirect = (int)response.StatusCode is >= 300 and < 400 && location is not null;
            if (redirect && !location!.IsAbsoluteUri)
            {
                current = new Uri(current, location);
                continue;
            }
            if (!redirect && !response.IsSuccessStatusCode) throw Failure(response, url, repo, commit, file);
            string? etag = Header(response, "X-Linked-Etag") ?? response.Headers.ETag?.Tag ?? Header(response, "ETag");
            if (etag is null)
                throw new DnaInputException($"the Hub sent no ETag for {file}, so the download could not be verified; is HF_ENDPOINT a Hugging Face Hub?", url.ToString());
            long? size = long.TryParse(Header(response, "X-Linked-Size"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var linked) ? linked
                : redirect ? null : response.Content.Headers.ContentLength;
            var normalized = NormalizeEtag(etag);
            // The ETag names the blob file: only the digests the Hub uses are accepted (no path can sneak in).
            if (normalized.Length is not (40 or 64) || !normalized.All(char.IsAsciiHexDigit))
                throw new DnaInputException($"the Hub's ETag for {file} ('{etag}') is neither a sha256 nor a git sha1, so the download could not be verified", url.ToString());
            return new FileMeta(normalized.ToLowerInvariant(), size, redirect ? location! : current);
        }
        throw new DnaInputException($"more than {ResumableDownload.MaxRedirects} redirects", url.ToString());
    }

    /// <summary>sha256 for LFS files (64 hex digits), git's blob sha1 for the rest (40); the size when the Hub gave it.</summary>
    private static async Task VerifyAsync(string part, FileMeta meta, Uri url, CancellationToken ct)
    {
        long length = new FileInfo(part).Length;
        string? problem = null;
        if (meta.Size is long size && size != length)
            problem = $"{length} bytes arrived, the Hub announced {size}";
        else if (meta.Etag.Length == 64)
        {
            var sha = (await FileDigests.ComputeAsync(part, sha256: true, md5: false, bsdSum: false, ct).ConfigureAwait(false)).Sha256!;
            if (!string.Equals(sha, meta.Etag, StringComparison.OrdinalIgnoreCase)) problem = $"sha256 of the download is {sha}, the Hub's ETag says {meta.Etag}";
        }
        else if (meta.Etag.Length == 40 && await GitBlobSha1Async(part, length, ct).ConfigureAwait(false) is var git
                 && !string.Equals(git, meta.Etag, StringComparison.OrdinalIgnoreCase))
            problem = $"git blob sha1 of the download is {git}, the Hub's ETag says {meta.Etag}";
        if (problem is null) return;
        File.Delete(part);   // never resume from bytes that are known to be wrong
        throw new DnaInputException($"{problem}: corrupted in transit; the partial file was removed, run the fetch again", url.ToString());
    }

    private static async Task<string> GitBlobSha1Async(string path, long length, CancellationToken ct)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(System.Text.Encoding.ASCII.GetBytes($"blob {length}\0"));
        await using var fs = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await fs.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0) sha1.AppendData(buffer, 0, n);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new DnaInputException($"cannot reach the Hub ({e.Message}); check the network or HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use the cache", request.RequestUri!.ToString(), inner: e);
        }
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (settings.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
    }

    private Uri RepoUrl(string repo) => new(settings.Endpoint, repo);

    /// <summary>One line for an HTTP error of the Hub, with what to do; the Hub names the cause in X-Error-Code.</summary>
    private DnaInputException Failure(HttpResponseMessage response, Uri url, string repo, string revision, string? file)
    {
        var code = Header(response, "X-Error-Code");
        string status = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        string what = code switch
        {
            "RevisionNotFound" => $"revision '{revision}' does not exist in {repo}; check the revision (a branch, tag or commit of the repository)",
            "RepoNotFound" => $"repository {repo} does not exist or is not visible with these credentials; check the name, or set HF_TOKEN for a private repository",
            "EntryNotFound" => $"{file} is not in {repo} at {revision}",
            "GatedRepo" => $"{repo} is gated: accept its conditions on the Hub, then set HF_TOKEN to a token of that account",
            _ => Advice(response.StatusCode, repo, revision, file) ?? "unexpected answer",
        };
        return new DnaInputException($"{status}: {what}", url.ToString());
    }

    private string? Advice(HttpStatusCode status, string repo, string revision, string? file) => (int)status switch
    {
        401 => settings.Token is null
            ? $"{repo} is private or gated, or does not exist; set HF_TOKEN (or run `huggingface-cli login`) to a token with access"
            : $"the token in HF_TOKEN is not valid for {repo}; check it, or that the repository exists",
        403 => $"this token may not read {repo} (a gated repository: request access on the Hub)",
        404 => file is null ? $"{repo} at revision '{revision}' was not found; check the name and the revision" : $"{file} was not found in {repo} at {revision}",
        >= 500 => "the Hub had a server error; try again later (a re-run resumes what was downloaded)",
        _ => null,
    };

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : r.Content.Headers.TryGetValues(name, out var c) ? c.FirstOrDefault() : null;

    /// <summary>As huggingface_hub: the ETag without the weak prefix and quotes.</summary>
    public static string NormalizeEtag(string etag)
    {
        var e = etag.Trim();
        if (e.StartsWith("W/", StringComparison.Ordinal)) e = e[2..];
        return e.Trim('"');
    }
}
