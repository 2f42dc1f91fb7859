using System.Globalization;

namespace DnaFoundation.Data.Genomes;

/// <summary>Reads the checksum lists genome sites publish: md5sum/sha256sum style (UCSC) and BSD <c>sum</c> (Ensembl CHECKSUMS).</summary>
public static class PublishedChecksum
{
    /// <summary>The checksum listed for <paramref name="fileName"/>, as the list writes it ("SUM BLOCKS" for bsd-sum).</summary>
    public static string? Find(string listText, string algorithm, string fileName)
    {
        foreach (var raw in listText.Split('\n'))
        {
            var f = raw.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2) continue;
            var name = f[^1].TrimStart('*');
            if (name != fileName && !name.EndsWith("/" + fileName, StringComparison.Ordinal)) continue;
            return algorithm == "bsd-sum" && f.Length >= 3 ? $"{f[0]} {f[1]}" : f[0];
        }
        return null;
    }

    /// <summary>BSD <c>sum</c> (16-bit rotating checksum and 1 KiB block count), which Ensembl's CHECKSUMS files use.</summary>
    public static string BsdSum(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var buf = new byte[1 << 20];
        int checksum = 0;
        long total = 0;
        int n;
        while ((n = fs.Read(buf)) > 0)
        {
            total += n;
            for (int i = 0; i < n; i++)
            {
                checksum = (checksum >> 1) + ((checksum & 1) << 15);
                checksum = (checksum + buf[i]) & 0xffff;
            }
        }
        long blocks = (total + 1023) / 1024;
        return string.Create(CultureInfo.InvariantCulture, $"{checksum} {blocks}");
    }
}
