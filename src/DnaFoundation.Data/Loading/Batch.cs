namespace DnaFoundation.Data.Loading;

/// <summary>Where a stretch of tokens in a batch row came from (one per row when padded; several when packed).</summary>
public sealed record BatchSegment(int Row, int Offset, int Length, string Species, string Contig, long Start, long End, char Strand);

/// <summary>
/// A batch as plain arrays (no torch here): row-major (B, T) token ids, attention mask (1 = token, 0 = padding),
/// per-token soft-mask flags, per-row lengths, and for packed batches per-token segment ids (0, 1, … within a row)
/// so attention can be kept inside each sequence. <see cref="StateAfter"/> resumes right after this batch.
/// <see cref="TruncatedRows"/> counts rows cut at the maximum length (their tokens beyond it are lost).
/// </summary>
public sealed record Batch(
    int Size,
    int Length,
    long[] InputIds,
    byte[] AttentionMask,
    byte[] SoftMask,
    int[] Lengths,
    int[]? SegmentIds,
    IReadOnlyList<BatchSegment> Segments,
    LoaderState StateAfter,
    int TruncatedRows = 0);
