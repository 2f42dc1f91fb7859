using DnaFoundation.Core;
using System.Text.RegularExpressions;

namespace DnaFoundation.Data.Hub;

/// <summary>
/// The Hugging Face cache layout, as <c>huggingface_hub</c> writes and reads it:
/// <c>CACHE/models--ORG--NAME/blobs/ETAG</c> (file contents, named by the Hub's ETag: the sha256 of LFS files, the
/// git blob sha1 of others), <c>snapshots/COMMIT/PATH</c> (relative symlinks to the blobs) and <c>refs/REVISION</c>
/// (the commit a branch or tag named when it was fetched). A blob appears only complete: downloads grow
/// <c>blobs/ETAG.incomplete</c> and are renamed once verified.
/// </summary>
public sealed partial class HubCache(string cacheDir)
{
    public string CacheDir { get; } = cacheDir;

    public static string FolderName(string repo) => "models--" + repo.Replace("/", "--", StringComparison.Ordinal);

    public string RepoDir(string repo) => Path.Combine(CacheDir, FolderName(repo));

    public string BlobPath(string repo, string etag) => Path.Combine(RepoDir(repo), "blobs", etag);

    public string IncompletePath(string repo, string etag) => BlobPath(repo, etag) + ".incomplete";

    public string SnapshotDir(string repo, string commit) => Path.Combine(RepoDir(repo), "snapshots", commit);

    public string RefPath(string repo, string revision) => Path.Combine([RepoDir(repo), "refs", .. revision.Split('/')]);

    public static bool IsCommitHash(string revision) => CommitHash().IsMatch(revision);

    /// <summary>The commit a revision names in the cache: itself when it is a hash, else what refs/REVISION recorded.</summary>
    public string? CommitFor(string repo, string revision)
    {
        if (IsCommitHash(revision)) return revision;
        var path = RefPath(repo, revision);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>The cached snapshot folder of <paramref name="repo"/> at <paramref name="revision"/>, or null.</summary>
    public string? FindSnapshot(string repo, string revision) =>
        CommitFor(repo, revision) is { } commit && Directory.Exists(SnapshotDir(repo, commit)) ? SnapshotDir(repo, commit) : null;

    public void WriteRef(string repo, string revision, string commit)
    {
        if (IsCommitHash(revision)) return;
        var path = RefPath(repo, revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, commit);
    }

    /// <summary>
    /// Points snapshots/COMMIT/PATH at the blob: a relative symlink as huggingface_hub makes, or a copy where the file
    /// system has no symlinks.
    /// </summary>
    public void Link(string repo, string commit, string file, string etag)
    {
        var link = Path.Combine([SnapshotDir(repo, commit), .. file.Split('/')]);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        var blob = BlobPath(repo, etag);
        if (File.Exists(link) || Directory.Exists(link)) File.Delete(link);
        var target = Path.GetRelativePath(Path.GetDirectoryName(link)!, blob);
        try
        {
            File.CreateSymbolicLink(link, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blob, link, overwrite: true);
        }
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
