using System.Numerics;
using System.Runtime.InteropServices;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers.Bpe;

/// <summary>
/// The training corpus, filled while the input streams: words (runs of A/C/G/T, either case, cut at N and other
/// ambiguity codes) in chunks of at most <see cref="BpeTrainerOptions.ChunkLength"/> bases, kept in a reservoir of
/// at most <see cref="BpeTrainerOptions.MaxBases"/> bases (uniform sample by chunk when the input is larger).
/// Chunks of fewer than two bases hold no pair and are dropped.
/// </summary>
public sealed class BpeCorpus
{
    private readonly int chunkLength;
    private readonly Reservoir<byte[]> chunks;
    private readonly byte[] current;
    private int currentLength;
    private long recordPosition;
    private byte[] codes = new byte[4096];

    public BpeCorpus(BpeTrainerOptions options)
    {
        chunkLength = options.ChunkLength;
        int capacity = options.MaxBases <= 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, options.MaxBases / chunkLength);
        chunks = new Reservoir<byte[]>(capacity, options.Seed);
        current = new byte[chunkLength];
    }

    /// <summary>Bases read so far (N included).</summary>
    public long BasesRead { get; private set; }

    /// <summary>Bases held for training (after sampling).</summary>
    public long BasesKept => chunks.Items.Sum(c => (long)c.Length);

    /// <summary>True once the input outgrew the memory bound and is being sampled.</summary>
    public bool Sampled => chunks.Sampled;

    internal IReadOnlyList<byte[]> Chunks => chunks.Items;

    /// <summary>Adds the next piece of the current sequence (pieces of one record may come in any sizes).</summary>
    /// <exception cref="DnaInputException">A character that is not a base, named with the sequence and its position.</exception>
    public void Add(ReadOnlySpan<char> piece, string? sequenceName = null, string? source = null) =>
        AddAny(MemoryMarshal.Cast<char, ushort>(piece), sequenceName, source);

    /// <summary>As <see cref="Add(ReadOnlySpan{char}, string?, string?)"/>, for ASCII bytes straight from a FASTA reader.</summary>
    public void Add(ReadOnlySpan<byte> piece, string? sequenceName = null, string? source = null) => AddAny(piece, sequenceName, source);

    private void AddAny<T>(ReadOnlySpan<T> piece, string? sequenceName, string? source) where T : unmanaged, IBinaryInteger<T>
    {
        if (codes.Length < piece.Length) codes = new byte[Math.Max(piece.Length, codes.Length * 2)];
        DnaAlphabet.NormalizeCore(piece, codes, [], AmbiguousBasePolicy.MapToN, sequenceName, source, recordPosition);
        for (int i = 0; i < piece.Length; i++)
        {
            byte b = codes[i];
            if (b == DnaAlphabet.N) { EndWord(); continue; }
            current[currentLength++] = b;
            if (currentLength == chunkLength) EndWord();
        }
        BasesRead += piece.Length;
        recordPosition += piece.Length;
    }

    /// <summary>Ends the current sequence: the next piece starts a new word.</summary>
    public void EndSequence()
    {
        EndWord();
        recordPosition = 0;
    }

    private void EndWord()
    {
        if (currentLength >= 2) chunks.Add(current[..currentLength]);
        currentLength = 0;
    }
}
