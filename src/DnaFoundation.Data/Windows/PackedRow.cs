using DnaFoundation.Tokenizers;

namespace DnaFoundation.Data.Windows;

/// <summary>
/// A training row of exactly <c>maxTokens</c> tokens cut from the token stream of a stretch of genome: the family's
/// frame (DNABERT-2: [CLS] … [SEP]) around the first <c>maxTokens</c> − frame tokens read from the stretch's start
/// on the forward strand, or from its end on the reverse strand. Nothing is padded and no token of the row is cut:
/// the bases after the row's last token simply belong to the next row. With a BPE vocabulary the bases a row covers
/// vary (repeats compress into long tokens), so rows are cut by tokens, not by bases (Hugging Face's run_mlm.py
/// group_texts, BioNeMo's packing), while a row still reads one contiguous stretch of one strand of one contig, so
/// it needs no segment ids and tokens never attend across unrelated sequences.
/// </summary>
public static class PackedRow
{
    /// <summary>
    /// Encodes <paramref name="stretch"/> (either case; offsets index it on the forward strand) and keeps the first
    /// <paramref name="maxTokens"/> tokens, frame included; null when the stretch holds fewer (read a longer one:
    /// <see cref="Longer"/>).
    /// </summary>
    public static DnaEncoding? Encode(DnaTokenizer tokenizer, ReadOnlySpan<byte> stretch, int maxTokens, bool reverse, string? sequenceName = null)
    {
        var e = tokenizer.Encode(stretch, new EncodeOptions { MaxLength = maxTokens, ReverseComplement = reverse, SequenceName = sequenceName });
        return e.TokenCount == maxTokens ? e : null;
    }

    /// <summary>The next stretch length to try when one held too few tokens: half as long again.</summary>
    public static int Longer(int bases) => bases + Math.Max(bases / 2, 16);

    /// <summary>The bases [Start, End) of the stretch that the row's tokens cover (forward-strand indices).</summary>
    public static (int Start, int End) Covered(DnaEncoding row, int stretchLength, bool reverse) =>
        reverse ? (stretchLength - row.BasesConsumed, stretchLength) : (0, row.BasesConsumed);
}
