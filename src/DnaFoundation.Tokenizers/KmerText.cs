using System.Text;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>
/// DNABERT's data format: a sequence written as space-separated overlapping k-mers ("ATGCAT TGCATG …", as in its
/// fine-tuning TSVs). Turning it back into raw DNA lets such files be encoded by any tokenizer here.
/// </summary>
public static class KmerText
{
    /// <summary>True when <paramref name="text"/> contains a space between DNA letters, i.e. looks like k-mer text.</summary>
    public static bool LooksLikeKmers(ReadOnlySpan<char> text) => text.Trim().Contains(' ');

    /// <summary>
    /// Raw DNA from overlapping k-mers: the first k-mer, then the last base of each next one. Every k-mer must have
    /// the same length and overlap its predecessor by k − 1 bases; otherwise a <see cref="DnaInputException"/>.
    /// </summary>
    public static string ToSequence(string kmerText, string? source = null, long? line = null)
    {
        var kmers = kmerText.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (kmers.Length == 0) return "";
        int k = kmers[0].Length;
        var sb = new StringBuilder(kmers.Length + k - 1);
        sb.Append(kmers[0]);
        for (int i = 1; i < kmers.Length; i++)
        {
            var cur = kmers[i];
            if (cur.Length != k)
                throw new DnaInputException($"k-mer {i + 1} ('{cur}') has length {cur.Length}, the first has {k}", source, line);
            if (!kmers[i - 1].AsSpan(1).SequenceEqual(cur.AsSpan(0, k - 1)))
                throw new DnaInputException($"k-mer {i + 1} ('{cur}') does not overlap k-mer {i} ('{kmers[i - 1]}') by {k - 1} bases; not DNABERT stride-1 k-mer text", source, line);
            sb.Append(cur[k - 1]);
        }
        return sb.ToString();
    }
}
