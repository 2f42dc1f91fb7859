using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Genomes;

/// <summary>
/// <c>dnafm data fetch</c>: downloads every remote genome of a manifest into a folder, resuming partial downloads
/// (HTTP Range on FILE.part), verifying the published checksum, and renaming into place only when it matches, so a
/// folder never holds a complete-looking file that is wrong. Local genomes are only verified.
/// </summary>
public sealed class ManifestFetcher(HttpClient http, IProgress<ProgressInfo>? progress = null)
{
    public sealed record Result(string Species, string Path, string Status);

    public async Task<IReadOnlyList<Result>> FetchAsync(GenomeManifest manifest, string outDir, CancellationToken ct = default)
    {
        Directory.CreateDirectory(outDir);
        var results = new List<Result>();
        foreach (var s in manifest.Species)
        {
            var target = s.IsRemote ? Path.Combine(outDir, s.LocalFileName) : GenomeFiles.ResolveLocal(manifest, s);
            if (!s.IsRemote)
            {
                if (!File.Exists(target)) throw new DnaInputException($"species '{s.Name}': local FASTA '{target}' not found", manifest.SourcePath);
                await VerifyAsync(manifest, s, target, ct).ConfigureAwait(false);
                results.Add(new Result(s.Name, target, "verified"));
                continue;
            }
            if (File.Exists(target))
            {
                await VerifyAsync(manifest, s, target, ct).ConfigureAwait(false);
                results.Add(new Result(s.Name, target, "present"));
                continue;
            }
            var part = target + ".part";
            await DownloadAsync(new Uri(s.Fasta), part, s.Name, ct).ConfigureAwait(false);
            try
            {
                await VerifyAsync(manifest, s, part, ct).ConfigureAwait(false);
            }
            catch (DnaInputException)
            {
                AtomicFile.TryDelete(part);   // a wrong file must not be resumed from next time
                throw;
            }
            File.Move(part, target, overwrite: true);
            results.Add(new Result(s.Name, target, "downloaded"));
        }
        return results;
    }

    private async Task DownloadAsync(Uri url, string part, string species, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            long have = File.Exists(part) ? new FileInfo(part).Length : 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
                    return;   // the part file is already whole; the checksum decides
                if (!response.IsSuccessStatusCode)
                    throw new DnaInputException($"species '{species}': download failed with HTTP {(int)response.StatusCode} {response.ReasonPhrase}", url.ToString());
                bool append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
                long? total = response.Content.Headers.ContentLength is long len ? len + (append ? have : 0) : null;
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await using var file = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                var buffer = new byte[1 << 16];
                long done = append ? have : 0;
                int n;
                while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    done += n;
                    progress?.Report(new ProgressInfo("fetch", done, total, "bytes", species));
                }
                if (total is long t && done < t) throw new IOException($"connection closed after {done} of {t} bytes");
                return;
            }
            catch (Exception e) when ((e is IOException or HttpRequestException) && !ct.IsCancellationRequested)
            {
                if (attempt >= 5)
                    throw new DnaInputException($"species '{species}': download failed after {attempt} attempts: {e.Message} (partial file kept as {part}; re-run to resume)", url.ToString(), inner: e);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task VerifyAsync(GenomeManifest manifest, SpeciesGenome s, string path, CancellationToken ct)
    {
        if (s.Sha256 is { } sha)
            Check(manifest, s, path, "sha256", sha, await HashAsync(SHA256.Create(), path, ct).ConfigureAwait(false));
        if (s.Md5 is { } md5)
            Check(manifest, s, path, "md5", md5, await HashAsync(MD5.Create(), path, ct).ConfigureAwait(false));
        if (s.ChecksumList is { } list)
        {
            var entry = list.Entry ?? s.LocalFileName;
            var text = await http.GetStringAsync(list.Url, ct).ConfigureAwait(false);
            var expected = PublishedChecksum.Find(text, list.Algorithm, entry)
                ?? throw new DnaInputException($"species '{s.Name}': '{entry}' is not listed in {list.Url}", manifest.SourcePath);
            var actual = list.Algorithm switch
            {
                "md5" => await HashAsync(MD5.Create(), path, ct).ConfigureAwait(false),
                "sha256" => await HashAsync(SHA256.Create(), path, ct).ConfigureAwait(false),
                _ => PublishedChecksum.BsdSum(path),
            };
            Check(manifest, s, path, list.Algorithm, expected, actual);
        }
    }

    private static void Check(GenomeManifest manifest, SpeciesGenome s, string path, string algorithm, string expected, string actual)
    {
        if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            throw new DnaInputException($"species '{s.Name}': {algorithm} of {path} is {actual}, the manifest expects {expected}", manifest.SourcePath);
    }

    private static async Task<string> HashAsync(HashAlgorithm algorithm, string path, CancellationToken ct)
    {
        using (algorithm)
        {
            await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            return Convert.ToHexStringLower(await algorithm.ComputeHashAsync(fs, ct).ConfigureAwait(false));
        }
    }
}
