using System.Security.Cryptography;

namespace DnaFoundation.Data.Genomes;

/// <summary>Checksums of one file, those asked for computed in a single read (null = not computed).</summary>
public sealed record FileDigests(long Bytes, string? Sha256, string? Md5, string? BsdSum)
{
    public static async Task<FileDigests> ComputeAsync(string path, bool sha256, bool md5, bool bsdSum, CancellationToken ct)
    {
        using var sha = sha256 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        using var md = md5 ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        long bytes;
        await using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
        {
            bytes = fs.Length;
            if (sha is not null || md is not null)
            {
                var buffer = new byte[1 << 20];
                int n;
                while ((n = await fs.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    sha?.AppendData(buffer, 0, n);
                    md?.AppendData(buffer, 0, n);
                }
            }
        }
        return new FileDigests(
            bytes,
            sha is null ? null : Convert.ToHexStringLower(sha.GetHashAndReset()),
            md is null ? null : Convert.ToHexStringLower(md.GetHashAndReset()),
            bsdSum ? PublishedChecksum.BsdSum(path) : null);
    }

    /// <summary>The digest for a manifest algorithm name (sha256, md5, bsd-sum).</summary>
    public string? Get(string algorithm) => algorithm switch
    {
        "sha256" => Sha256,
        "md5" => Md5,
        "bsd-sum" => BsdSum,
        _ => null,
    };
}
