using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>Ids ↔ token strings, with the special tokens marked. Id = position in the list (as in a BERT vocab.txt).</summary>
public sealed class TokenVocabulary
{
    private readonly string[] tokens;
    private readonly Dictionary<string, int> ids;
    private readonly bool[] special;

    public TokenVocabulary(IReadOnlyList<string> tokens, IEnumerable<string> specialTokens, string? source = null)
    {
        this.tokens = [.. tokens];
        ids = new Dictionary<string, int>(this.tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < this.tokens.Length; i++)
            if (!ids.TryAdd(this.tokens[i], i))
                throw new DnaInputException($"token '{this.tokens[i]}' appears twice (ids {ids[this.tokens[i]]} and {i})", source);
        special = new bool[this.tokens.Length];
        foreach (var s in specialTokens)
            if (ids.TryGetValue(s, out int id)) special[id] = true;
    }

    public int Count => tokens.Length;

    public IReadOnlyList<string> Tokens => tokens;

    public string this[int id] => tokens[id];

    public bool IsSpecial(int id) => (uint)id < (uint)special.Length && special[id];

    public bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    /// <summary>Id of a token that must exist (special tokens, single bases); names the vocabulary file otherwise.</summary>
    public int Require(string token, string? source = null) =>
        ids.TryGetValue(token, out int id) ? id : throw new DnaInputException($"vocabulary has no token '{token}'", source);

    public int? Find(string token) => ids.TryGetValue(token, out int id) ? id : null;

    /// <summary>Reads a BERT-style vocab.txt: one token per line, the id is the 0-based line number.</summary>
    public static List<string> ReadVocabTxt(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("vocabulary file not found", path);
        var lines = File.ReadAllLines(path).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        for (int i = 0; i < lines.Count; i++)
            if (lines[i].Length == 0 || lines[i].Trim() != lines[i])
                throw new DnaInputException("empty token or token with surrounding spaces", path, i + 1);
        return lines;
    }

    /// <summary>Writes vocab.txt (temp file + rename, so a crash never leaves half a vocabulary).</summary>
    public void WriteVocabTxt(string path) => AtomicFile.WriteAllText(path, string.Join('\n', tokens) + "\n");
}
