using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>k-mers as base-4 integers (A=0 C=1 G=2 T=3, first base most significant), and the vocabulary orders families use.</summary>
internal static class KmerCodes
{
    /// <summary>All k-mers over <paramref name="alphabet"/> in Python's itertools.product order (last position varies fastest).</summary>
    public static IEnumerable<string> ProductOrder(string alphabet, int k)
    {
        int total = 1;
        for (int i = 0; i < k; i++) total *= alphabet.Length;
        var chars = new char[k];
        for (int idx = 0; idx < total; idx++)
        {
            int rest = idx;
            for (int p = k - 1; p >= 0; p--)
            {
                chars[p] = alphabet[rest % alphabet.Length];
                rest /= alphabet.Length;
            }
            yield return new string(chars);
        }
    }

    public static string Decode(int code, int k)
    {
        var chars = new char[k];
        for (int p = k - 1; p >= 0; p--)
        {
            chars[p] = DnaAlphabet.Letters[code & 3];
            code >>= 2;
        }
        return new string(chars);
    }

    /// <summary>Table code → id for every ACGT k-mer; each must be in the vocabulary.</summary>
    public static int[] IdTable(TokenVocabulary vocabulary, int k, string? source)
    {
        var table = new int[1 << (2 * k)];
        for (int code = 0; code < table.Length; code++)
        {
            var kmer = Decode(code, k);
            if (!vocabulary.TryGetId(kmer, out table[code]))
                throw new DnaInputException($"vocabulary lacks the {k}-mer '{kmer}' (a k-mer vocabulary needs all 4^{k})", source);
        }
        return table;
    }
}
