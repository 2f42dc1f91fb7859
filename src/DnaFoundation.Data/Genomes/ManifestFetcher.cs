using DnaFoundation.Core;
using DnaFoundation.Data.Downloads;
using DnaFoundation.Data.Fasta;

namespace DnaFoundation.Data.Genomes;

/// <summary>How <see cref="ManifestFetcher"/> treats a verified plain-gzip download.</summary>
/// <param name="Bgzip">Recompress plain gzip FASTA to BGZF (+ .fai, .gzi) so windows can be read by random access.</param>
/// <param name="KeepOriginal">Keep the published file beside the BGZF as FILE.orig.</param>
/// <param name="Threads">Threads deflating BGZF blocks (0 = all cores).</param>
public sealed record FetchOptions(bool Bgzip = true, bool KeepOriginal = false, int Threads = 0);

/// <summary>
/// <c>dnafm data fetch</c>: downloads every remote genome of a manifest into a folder, resuming partial downloads
/// (HTTP Range on FILE.part), verifying the published checksum, and renaming into place only when it matches, so a
/// folder never holds a complete-looking file that is wrong. A verified plain-gzip FASTA is then recompressed to
/// BGZF in place (with .fai and .gzi) and FILE.fetch.json records the published file's checksums and the
/// conversion, so a re-run knows the file is present and verified without downloading it again. Local genomes are
/// only verified.
/// </summary>
public sealed class ManifestFetcher(HttpClient http, IProgress<ProgressInfo>? progress = null, FetchOptions? options = null)
{
    private readonly FetchOptions options = options ?? new FetchOptions();

    /// <param name="Note">What else was done, e.g. the recompression to BGZF; null when nothing.</param>
    public sealed record Result(string Species, string Path, string Status, string? Note = null);

    public const string OriginalSuffix = ".orig";

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
                await VerifyAsync(manifest, s, target, recordAll: false, ct).ConfigureAwait(false);
                results.Add(new Result(s.Name, target, "verified"));
                continue;
            }
            results.Add(await FetchRemoteAsync(manifest, s, target, ct).ConfigureAwait(false));
        }
        return results;
    }

    private async Task<Result> FetchRemoteAsync(GenomeManifest manifest, SpeciesGenome s, string target, CancellationToken ct)
    {
        RemoveStaleTemps(target);
        var original = target + OriginalSuffix;
        string status;
        Verified published;
        if (File.Exists(target))
        {
            if (FetchRecord.TryRead(target) is { } record && await MatchesAsync(target, record, ct).ConfigureAwait(false))
            {
                // Our BGZF of a download verified earlier: the manifest's checksum must still be the recorded one's.
                await CheckAsync(manifest, s, $"the download {target} was made from", record.Published.Digests, ct).ConfigureAwait(false);
                AtomicFile.TryDelete(target + ".part");
                return new Result(s.Name, target, "present", $"BGZF made from the verified download, see {Path.GetFileName(FetchRecord.PathFor(target))}");
            }
            published = await VerifyAsync(manifest, s, target, WillConvert(target), ct).ConfigureAwait(false);
            status = "present";
        }
        else if (File.Exists(original) && options.Bgzip)
        {
            // A run with --keep-original stopped between moving the download aside and renaming the BGZF in.
            published = await VerifyAsync(manifest, s, original, recordAll: true, ct).ConfigureAwait(false);
            return new Result(s.Name, target, "present", Convert(s, original, target, published, keptOriginal: true));
        }
        else
        {
            var part = target + ".part";
            await DownloadAsync(new Uri(s.Fasta), part, s.Name, ct).ConfigureAwait(false);
            try
            {
                published = await VerifyAsync(manifest, s, part, WillConvert(part), ct).ConfigureAwait(false);
            }
            catch (DnaInputException)
            {
                AtomicFile.TryDelete(part);   // a wrong file must not be resumed from next time
                throw;
            }
            File.Move(part, target, overwrite: true);
            status = "downloaded";
        }
        if (!WillConvert(target)) return new Result(s.Name, target, status);
        if (options.KeepOriginal)
        {
            File.Move(target, original, overwrite: true);
            return new Result(s.Name, target, status, Convert(s, original, target, published, keptOriginal: true));
        }
        return new Result(s.Name, target, status, Convert(s, target, target, published, keptOriginal: false));
    }

    private bool WillConvert(string path) => options.Bgzip && SequenceInput.Detect(path) == FastaCompression.Gzip;

    /// <summary>
    /// Recompresses the verified published file to BGZF at <paramref name="target"/>. The record is written before
    /// the BGZF is renamed into place, so a converted file never stands without it; a kill before the rename leaves
    /// the published file, which the next run verifies and converts again.
    /// </summary>
    private string Convert(SpeciesGenome s, string input, string target, Verified published, bool keptOriginal)
    {
        Bgzip.Convert(input, target, options.Threads, beforeCommit: r =>
        {
            var d = published.Digests;
            new FetchRecord(
                FetchRecord.FormatName, s.Name, s.Fasta,
                new PublishedFile(s.LocalFileName, d.Bytes, d.Sha256, d.Md5, d.BsdSum, published.Against),
                new BgzfConversion("bgzf", "dnafm data bgzip", r.Level, r.UncompressedBytes, r.OutputBytes, r.OutputSha256,
                    keptOriginal ? Path.GetFileName(input) : null, DateTimeOffset.UtcNow)).Write(target);
        }, progress: progress);
        var note = "recompressed to BGZF, .fai and .gzi written";
        return keptOriginal ? $"{note}; the published file is kept as {Path.GetFileName(input)}" : note;
    }

    /// <summary>The record describes this very file: same size and sha256 as the BGZF it recorded.</summary>
    private static async Task<bool> MatchesAsync(string target, FetchRecord record, CancellationToken ct)
    {
        if (new FileInfo(target).Length != record.Conversion.Bytes) return false;
        var d = await FileDigests.ComputeAsync(target, sha256: true, md5: false, bsdSum: false, ct).ConfigureAwait(false);
        return string.Equals(d.Sha256, record.Conversion.Sha256, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>AtomicFile's temp files for the genome or its record that a killed run left (".NAME.tmp-…").</summary>
    private static void RemoveStaleTemps(string target)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(target))!;
        var name = Path.GetFileName(target);
        if (!Directory.Exists(dir)) return;
        foreach (var prefix in new[] { name, name + ".fai", name + ".gzi", name + FetchRecord.Suffix })
            foreach (var stale in Directory.EnumerateFiles(dir, $".{prefix}.tmp-*"))
                AtomicFile.TryDelete(stale);
    }

    private Task DownloadAsync(Uri url, string part, string species, CancellationToken ct) =>
        new ResumableDownload(http, progress).DownloadAsync(url, part, $"species '{species}'", ct: ct);

    /// <summary>The digests of a published file and the published checksums it matched.</summary>
    private sealed record Verified(FileDigests Digests, IReadOnlyList<string> Against);

    /// <param name="recordAll">Compute sha256 and md5 whatever the manifest checks, to record them.</param>
    private async Task<Verified> VerifyAsync(GenomeManifest manifest, SpeciesGenome s, string path, bool recordAll, CancellationToken ct)
    {
        var list = s.ChecksumList?.Algorithm;
        var digests = await FileDigests.ComputeAsync(path,
            sha256: recordAll || s.Sha256 is not null || list == "sha256",
            md5: recordAll || s.Md5 is not null || list == "md5",
            bsdSum: list == "bsd-sum", ct).ConfigureAwait(false);
        return new Verified(digests, await CheckAsync(manifest, s, path, digests, ct).ConfigureAwait(false));
    }

    /// <summary>Checks <paramref name="digests"/> of <paramref name="what"/> against every checksum the manifest names.</summary>
    private async Task<IReadOnlyList<string>> CheckAsync(GenomeManifest manifest, SpeciesGenome s, string what, FileDigests digests, CancellationToken ct)
    {
        var against = new List<string>();
        if (s.Sha256 is { } sha)
        {
            Check(manifest, s, what, "sha256", sha, digests.Sha256);
            against.Add("sha256 from the manifest");
        }
        if (s.Md5 is { } md5)
        {
            Check(manifest, s, what, "md5", md5, digests.Md5);
            against.Add("md5 from the manifest");
        }
        if (s.ChecksumList is { } list)
        {
            var entry = list.Entry ?? s.LocalFileName;
            var text = await http.GetStringAsync(list.Url, ct).ConfigureAwait(false);
            var expected = PublishedChecksum.Find(text, list.Algorithm, entry)
                ?? throw new DnaInputException($"species '{s.Name}': '{entry}' is not listed in {list.Url}", manifest.SourcePath);
            Check(manifest, s, what, list.Algorithm, expected, digests.Get(list.Algorithm));
            against.Add($"{list.Algorithm} of '{entry}' in {list.Url}");
        }
        return against;
    }

    private static void Check(GenomeManifest manifest, SpeciesGenome s, string what, string algorithm, string expected, string? actual)
    {
        if (actual is null)
            throw new DnaInputException($"species '{s.Name}': the manifest now checks {algorithm}, which was not recorded for {what}; delete it to fetch again", manifest.SourcePath);
        if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
            throw new DnaInputException($"species '{s.Name}': {algorithm} of {what} is {actual}, the manifest expects {expected}", manifest.SourcePath);
    }
}
