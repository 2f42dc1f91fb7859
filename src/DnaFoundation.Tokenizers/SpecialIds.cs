using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers;

/// <summary>Ids of special tokens by role: the name a directory's tokenizer files give, else the family's usual one.</summary>
internal static class SpecialIds
{
    /// <summary>The id of the role's token; null when the files set the role to null, or neither they nor the family name one.</summary>
    public static int? Find(TokenVocabulary v, HfTokenizerSettings s, string role, string? familyName, string? source)
    {
        var name = s.Token(role, familyName);
        if (name is null) return null;
        if (v.Find(name) is int id) return id;
        if (s.Says(role)) throw new DnaInputException($"the tokenizer files name {role} '{name}', which is not in the vocabulary", source);
        return null;
    }

    public static int Require(TokenVocabulary v, HfTokenizerSettings s, string role, string familyName, string? source) =>
        Find(v, s, role, familyName, source) ?? throw new DnaInputException($"vocabulary has no {role} ('{s.Token(role, familyName) ?? familyName}')", source);
}
