namespace DnaFoundation.Tokenizers;

/// <summary>Half-open base interval [Start, End) of the input covered by one token. Special and padding tokens have (0, 0).</summary>
public readonly record struct BaseSpan(int Start, int End)
{
    public int Length => End - Start;
}

/// <summary>
/// One encoded sequence: parallel arrays, one entry per token (special and padding tokens included).
/// </summary>
public sealed class DnaEncoding
{
    public DnaEncoding(int[] ids, BaseSpan[] offsets, bool[] softMasked, byte[] attentionMask, int tokenCount, int basesConsumed)
    {
        Ids = ids;
        Offsets = offsets;
        SoftMasked = softMasked;
        AttentionMask = attentionMask;
        TokenCount = tokenCount;
        BasesConsumed = basesConsumed;
    }

    public int[] Ids { get; }

    /// <summary>Bases of the input (forward strand) that each token covers.</summary>
    public BaseSpan[] Offsets { get; }

    /// <summary>True when any base under the token was lowercase (soft-masked repeat) in the input.</summary>
    public bool[] SoftMasked { get; }

    /// <summary>1 for real tokens (special tokens included), 0 for padding.</summary>
    public byte[] AttentionMask { get; }

    /// <summary>Tokens before padding (special tokens included).</summary>
    public int TokenCount { get; }

    /// <summary>How many input bases the kept tokens reach: the input length unless truncated.</summary>
    public int BasesConsumed { get; }

    public int Length => Ids.Length;
}
