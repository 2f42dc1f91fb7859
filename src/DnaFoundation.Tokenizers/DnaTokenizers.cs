using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>Builds a tokenizer from a spec: a built-in name or a tokenizer file.</summary>
public static class DnaTokenizers
{
    /// <summary>The specs <see cref="Load"/> accepts, in words, for messages and help texts.</summary>
    public const string SpecHelp =
        "kmer:3..kmer:6 (DNABERT overlapping k-mers), nt6 (Nucleotide Transformer 6-mers), char (single nucleotide), " +
        "or a path to tokenizer.json (BPE, e.g. DNABERT-2) / vocab.txt (DNABERT, NT or char) / a folder holding one";

    /// <summary>
    /// "kmer:K" (K = 3..6), "nt6" or "nt:K", "char"; otherwise a path: tokenizer.json (BPE), vocab.txt (family
    /// recognised by its special tokens) or a folder with one of them (tokenizer.json preferred).
    /// </summary>
    public static DnaTokenizer Load(string spec, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        var s = spec.Trim();
        if (s.StartsWith("kmer:", StringComparison.OrdinalIgnoreCase))
            return KmerTokenizer.Dnabert(ParseK(s, 5, 3, 6), ambiguousBases);
        if (s.Equals("nt6", StringComparison.OrdinalIgnoreCase))
            return NtKmerTokenizer.NucleotideTransformer(6, ambiguousBases);
        if (s.StartsWith("nt:", StringComparison.OrdinalIgnoreCase))
            return NtKmerTokenizer.NucleotideTransformer(ParseK(s, 3, 2, 8), ambiguousBases);
        if (s.Equals("char", StringComparison.OrdinalIgnoreCase))
            return CharTokenizer.HyenaDna(ambiguousBases);

        var path = s;
        if (Directory.Exists(path)) return FromDirectory(path, ambiguousBases);
        if (!File.Exists(path))
            throw new DnaInputException($"tokenizer '{spec}' is neither a built-in nor an existing file; use {SpecHelp}");
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return DnaBpeTokenizer.FromHfJson(path, ambiguousBases);
        return FromVocabTxt(path, ambiguousBases, HfTokenizerSettings.None);
    }

    /// <summary>
    /// A model directory's tokenizer as Hugging Face's AutoTokenizer finds it: <c>tokenizer.json</c> (BPE: DNABERT-2,
    /// GROVER, GENA-LM), else <c>vocab.txt</c> (DNABERT k-mers, NT's EsmTokenizer, HyenaDNA characters), with the
    /// special tokens, framing and maximum length of its <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c>.
    /// </summary>
    public static DnaTokenizer FromDirectory(string dir, AmbiguousBasePolicy ambiguousBases = AmbiguousBasePolicy.MapToN)
    {
        var settings = HfTokenizerSettings.Read(dir);
        var json = Path.Combine(dir, "tokenizer.json");
        var txt = Path.Combine(dir, "vocab.txt");
        DnaTokenizer tokenizer = File.Exists(json) ? DnaBpeTokenizer.FromHfJson(json, ambiguousBases, settings)
            : File.Exists(txt) ? FromVocabTxt(txt, ambiguousBases, settings)
            : throw new DnaInputException("folder has neither tokenizer.json nor vocab.txt", dir);
        tokenizer.ModelMaxLength = settings.ModelMaxLength;
        return tokenizer;
    }

    private static DnaTokenizer FromVocabTxt(string path, AmbiguousBasePolicy ambiguousBases, HfTokenizerSettings settings)
    {
        var tokens = TokenVocabulary.ReadVocabTxt(path).ToHashSet(StringComparer.Ordinal);
        if (tokens.Contains("[RESERVED]")) return CharTokenizer.FromVocabTxt(path, ambiguousBases);
        // transformers picks the class from tokenizer_class; without it, the special tokens tell the family.
        if (settings.TokenizerClass == "EsmTokenizer" || tokens.Contains("<cls>")) return NtKmerTokenizer.FromVocabTxt(path, ambiguousBases, settings);
        if (tokens.Contains("[CLS]") || settings.Token("cls_token", null) is string cls && tokens.Contains(cls)) return KmerTokenizer.FromVocabTxt(path, ambiguousBases, settings);
        throw new DnaInputException("vocab.txt of no known family (expected DNABERT [CLS]/[SEP], NT <cls>, or HyenaDNA [RESERVED] special tokens)", path);
    }

    private static int ParseK(string spec, int prefixLength, int min, int max)
    {
        if (!int.TryParse(spec.AsSpan(prefixLength), NumberStyles.None, CultureInfo.InvariantCulture, out int k) || k < min || k > max)
            throw new DnaInputException($"tokenizer '{spec}': k must be an integer {min}..{max}");
        return k;
    }
}
