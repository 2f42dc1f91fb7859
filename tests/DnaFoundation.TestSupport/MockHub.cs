using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace DnaFoundation.TestSupport;

/// <summary>
/// A Hugging Face Hub on 127.0.0.1, answering as the Hub does (so the client is tested against the protocol, not
/// against itself): <c>GET /api/models/REPO/revision/REV</c> gives <c>sha</c> and <c>siblings[].rfilename</c>;
/// <c>HEAD|GET /REPO/resolve/REV/PATH</c> gives <c>X-Repo-Commit</c> and, for LFS files, a 302 to <c>/cdn/SHA256</c>
/// with <c>X-Linked-Etag</c> (the sha256, quoted) and <c>X-Linked-Size</c>; other files come straight back with the
/// git blob sha1 as <c>ETag</c>. Errors carry <c>X-Error-Code</c> (RepoNotFound, RevisionNotFound, EntryNotFound);
/// a private repository answers 401 without the right bearer token. Failures can be injected per path, and the
/// server's cut connections (<see cref="LocalHttpServer.CutNext"/>) hit the CDN downloads only.
/// </summary>
public sealed class MockHub : IDisposable
{
    private readonly Dictionary<string, Repo> repos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> blobs = new(StringComparer.Ordinal);

    private sealed record Repo(string? Token, Dictionary<string, string> Refs, Dictionary<string, Dictionary<string, (byte[] Bytes, bool Lfs)>> Commits);

    public MockHub(int cutFirstResponses = 0, int cutAfter = 1000)
    {
        Server = new LocalHttpServer(cutFirstResponses) { CutFirstResponseAfter = cutAfter };
        Server.Handler = Handle;
    }

    public LocalHttpServer Server { get; }

    public string Endpoint => Server.BaseUrl.TrimEnd('/');

    /// <summary>Status codes to answer instead, by exact path (e.g. "/org/m/resolve/COMMIT/model.safetensors" or "/cdn/SHA").</summary>
    public Dictionary<string, int> FailPaths { get; } = new(StringComparer.Ordinal);

    /// <summary>Blobs (by sha256) whose bytes the CDN corrupts, as a broken proxy would.</summary>
    public HashSet<string> CorruptBlobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds (or replaces) a repository with one commit under "main"; weights files are LFS, as the Hub's default .gitattributes makes them.</summary>
    public string AddRepo(string repo, IReadOnlyDictionary<string, byte[]> files, string? token = null)
    {
        var commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repo + string.Join(",", files.Keys) + files.Values.Sum(v => v.Length))));
        string[] lfsExtensions = [".bin", ".safetensors", ".h5", ".msgpack", ".pt", ".pth", ".ckpt"];
        var tree = files.ToDictionary(kv => kv.Key, kv => (kv.Value, lfsExtensions.Any(e => kv.Key.EndsWith(e, StringComparison.Ordinal))), StringComparer.Ordinal);
        foreach (var (bytes, lfs) in tree.Values)
            if (lfs) lock (blobs) blobs[Sha256(bytes)] = bytes;
        lock (repos) repos[repo] = new Repo(token, new Dictionary<string, string> { ["main"] = commit }, new() { [commit] = tree });
        return commit;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string GitBlobSha1(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    private bool Handle(HttpListenerContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath);
        var res = ctx.Response;
        if (FailPaths.TryGetValue(path, out var status))
        {
            Send(res, status, null);
            return true;
        }
        if (path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            var sha = path["/cdn/".Length..];
            byte[]? bytes;
            lock (blobs) blobs.TryGetValue(sha, out bytes);
            if (bytes is null) return false;
            if (CorruptBlobs.Contains(sha))
            {
                bytes = (byte[])bytes.Clone();
                bytes[bytes.Length / 2] ^= 0xFF;
            }
            Server.Serve(ctx, bytes);
            return true;
        }
        if (path.StartsWith("/api/models/", StringComparison.Ordinal))
        {
            var rest = path["/api/models/".Length..];
            int at = rest.IndexOf("/revision/", StringComparison.Ordinal);
            if (at < 0) return false;
            var (repo, revision) = (rest[..at], rest[(at + "/revision/".Length)..]);
            if (Find(ctx, repo, revision) is not { } found) return true;
            var siblings = new JsonArray(found.Tree.Keys.Order(StringComparer.Ordinal).Select(f => (JsonNode)new JsonObject { ["rfilename"] = f }).ToArray());
            Send(res, 200, Encoding.UTF8.GetBytes(new JsonObject { ["id"] = repo, ["sha"] = found.Commit, ["siblings"] = siblings }.ToJsonString()));
            return true;
        }
        int resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve > 0)
        {
            var repo = path[1..resolve];
            var rest = path[(resolve + "/resolve/".Length)..];
            int slash = rest.IndexOf('/');
            if (slash < 0) return false;
            var (revision, file) = (rest[..slash], rest[(slash + 1)..]);
            if (Find(ctx, repo, revision) is not { } found) return true;
            if (!found.Tree.TryGetValue(file, out var entry))
            {
                res.AddHeader("X-Error-Code", "EntryNotFound");
                Send(res, 404, null);
                return true;
            }
            res.AddHeader("X-Repo-Commit", found.Commit);
            if (entry.Lfs)
            {
                var sha = Sha256(entry.Bytes);
                res.AddHeader("X-Linked-Etag", $"\"{sha}\"");
                res.AddHeader("X-Linked-Size", entry.Bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
                res.AddHeader("ETag", "\"not-the-content-hash\"");
                res.RedirectLocation = $"{Endpoint}/cdn/{sha}";
                Send(res, 302, null);
                return true;
            }
            res.AddHeader("ETag", $"\"{GitBlobSha1(entry.Bytes)}\"");
            Server.Serve(ctx, entry.Bytes, mayCut: false);   // injected drops hit the large (LFS) downloads
            return true;
        }
        return false;
    }

    private (string Commit, Dictionary<string, (byte[] Bytes, bool Lfs)> Tree)? Find(HttpListenerContext ctx, string repo, string revision)
    {
        Repo? r;
        lock (repos) repos.TryGetValue(repo, out r);
        var auth = ctx.Request.Headers["Authorization"];
        if (r is null || (r.Token is not null && auth != "Bearer " + r.Token))
        {
            // As the Hub: an anonymous request for a private or missing repository is 401, an authenticated one 404.
            ctx.Response.AddHeader("X-Error-Code", "RepoNotFound");
            Send(ctx.Response, auth is null || r is not null ? 401 : 404, null);
            return null;
        }
        var commit = r.Refs.TryGetValue(revision, out var c) ? c : r.Commits.ContainsKey(revision) ? revision : null;
        if (commit is null)
        {
            ctx.Response.AddHeader("X-Error-Code", "RevisionNotFound");
            Send(ctx.Response, 404, null);
            return null;
        }
        return (commit, r.Commits[commit]);
    }

    private static void Send(HttpListenerResponse res, int status, byte[]? body)
    {
        res.StatusCode = status;
        res.ContentLength64 = body?.Length ?? 0;
        if (body is not null) res.OutputStream.Write(body);
        res.Close();
    }

    public void Dispose() => Server.Dispose();
}
