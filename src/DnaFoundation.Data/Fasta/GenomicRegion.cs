using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Fasta;

/// <summary>
/// A region as samtools writes it: <c>name</c>, <c>name:start</c>, <c>name:start-end</c>, <c>name:-end</c>
/// (1-based, inclusive, commas allowed), or <c>{name}:start-end</c> when the name itself contains ':'.
/// Stored 0-based half-open after clamping to the sequence, as samtools clamps.
/// </summary>
public sealed record GenomicRegion(string Text, string Name, long Start, long End)
{
    public long Length => End - Start;

    public static GenomicRegion Parse(string text, FaiIndex index)
    {
        if (text.StartsWith('{'))
        {
            int close = text.IndexOf('}');
            if (close < 0) throw Bad(text, "unbalanced '{'");
            var name = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length == 0) return Whole(text, Lookup(text, name, index));
            if (rest[0] != ':') throw Bad(text, "expected ':' after '}'");
            return WithRange(text, Lookup(text, name, index), rest[1..]);
        }
        int colon = text.LastIndexOf(':');
        bool wholeKnown = index.TryGet(text, out var whole);
        if (colon > 0 && index.TryGet(text[..colon], out var prefix) && TryRange(text[(colon + 1)..], out _, out _, out _))
        {
            if (wholeKnown)
                throw Bad(text, $"ambiguous: both '{text}' and '{text[..colon]}' are sequence names; write {{{text}}} or {{{text[..colon]}}}:{text[(colon + 1)..]}");
            return WithRange(text, prefix, text[(colon + 1)..]);
        }
        if (wholeKnown) return Whole(text, whole);
        if (colon > 0 && index.TryGet(text[..colon], out _) && !TryRange(text[(colon + 1)..], out _, out _, out var why))
            throw Bad(text, why!);
        throw new DnaInputException($"region '{text}': no sequence with that name in the index");
    }

    private static GenomicRegion Whole(string text, FaiEntry e) => new(text, e.Name, 0, e.Length);

    private static FaiEntry Lookup(string text, string name, FaiIndex index) =>
        index.TryGet(name, out var e) ? e : throw new DnaInputException($"region '{text}': no sequence named '{name}' in the index");

    private static GenomicRegion WithRange(string text, FaiEntry e, string range)
    {
        if (!TryRange(range, out var start1, out var end1, out var why)) throw Bad(text, why!);
        if (end1 is { } stop && stop < start1) throw Bad(text, "end is before start");
        // samtools: start 0 gives an empty sequence; otherwise clamp both ends to the sequence length.
        long beg = start1 == 0 ? 0 : start1 - 1;
        long end = Math.Min(end1 ?? e.Length, e.Length);
        if (start1 == 0) end = 0;
        beg = Math.Min(beg, e.Length);
        if (beg > end) beg = end;
        return new GenomicRegion(text, e.Name, beg, end);
    }

    private static bool TryRange(string range, out long start1, out long? end1, out string? why)
    {
        start1 = 1;
        end1 = null;
        why = null;
        var r = range.Replace(",", "", StringComparison.Ordinal);
        if (r.Length == 0) { why = "empty range after ':'"; return false; }
        int dash = r.IndexOf('-');
        var s = dash < 0 ? r : r[..dash];
        var e = dash < 0 ? "" : r[(dash + 1)..];
        if (s.Length > 0 && !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out start1)) { why = $"'{s}' is not a position"; return false; }
        if (e.Length > 0)
        {
            if (!long.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out var stop)) { why = $"'{e}' is not a position"; return false; }
            end1 = stop;
        }
        return true;
    }

    private static DnaInputException Bad(string text, string why) => new($"region '{text}': {why}");
}
