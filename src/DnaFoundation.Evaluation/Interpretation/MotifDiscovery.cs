using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Evaluation.Interpretation;

/// <summary>How <see cref="MotifDiscovery"/> finds motifs; every default is defined here once.</summary>
public sealed record MotifOptions : IValidatableConfig
{
    /// <summary>A base is high-attention when its score exceeds this multiple of its sequence's mean score (key <c>threshold</c>).</summary>
    [Range(0.0, 1000.0)] public double Threshold { get; init; } = 1.0;

    /// <summary>Shortest high-attention region kept, in bases (DNABERT: 5) (key <c>min_region</c>).</summary>
    [Range(1, 10000)] public int MinRegion { get; init; } = 5;

    /// <summary>High-attention runs at most this many bases apart are merged into one region (key <c>max_gap</c>).</summary>
    [Range(0, 1000)] public int MaxGap { get; init; } = 1;

    /// <summary>Candidate words: the k-mers inside high-attention regions of positives (key <c>word_length</c>).</summary>
    [Range(3, 16)] public int WordLength { get; init; } = 6;

    /// <summary>A candidate must occur in at least this many positives (DNABERT: 3) (key <c>min_instances</c>).</summary>
    [Range(1, int.MaxValue)] public int MinInstances { get; init; } = 3;

    /// <summary>Benjamini–Hochberg adjusted p-value a candidate must reach (DNABERT: 0.005) (key <c>max_adjusted_p</c>).</summary>
    [Range(0.0, 1.0)] public double MaxAdjustedP { get; init; } = 0.005;

    /// <summary>Most motifs reported, best first (key <c>max_motifs</c>).</summary>
    [Range(1, 10000)] public int MaxMotifs { get; init; } = 20;

    /// <summary>Edge columns of a motif with less information than this (bits) are trimmed, down to the word length (key <c>trim_bits</c>).</summary>
    [Range(0.0, 2.0)] public double TrimBits { get; init; } = 0.3;

    /// <summary>Which strands a word is looked for on (key <c>strands</c>); <see cref="MotifStrands.Auto"/> resolves per run, see there.</summary>
    public MotifStrands Strands { get; init; } = MotifStrands.Auto;

    /// <inheritdoc />
    public IEnumerable<string> Validate()
    {
        if (MinRegion < 1) yield return "key 'min_region' must be at least 1";
    }
}

/// <summary>Which strands motif discovery searches.</summary>
public enum MotifStrands
{
    /// <summary>
    /// Both strands when every input has a locus (genomic regions, e.g. peaks from a BED file: a region has no
    /// orientation, and a binding site on the minus strand is the same site); the forward strand otherwise
    /// (sequences given as text are oriented as given, e.g. promoters upstream of their TSS, DNABERT's setting).
    /// </summary>
    Auto,
    /// <summary>The sequences as given (DNABERT's analysis).</summary>
    Forward,
    /// <summary>
    /// A word and its reverse complement are one candidate: a sequence contains it when either occurs; instances on
    /// the minus strand are read reverse-complemented into the motif's orientation (STREME's and HOMER's default for DNA).
    /// </summary>
    Both,
}

/// <summary>One input to motif discovery: a sequence, whether it is a positive, its base-level attention (positives only; NaN = not seen) and, when known, its locus.</summary>
public sealed record MotifInput(string Id, string Sequence, bool Positive, double[]? Scores, string? Chrom = null, long Start = 0);

/// <summary>
/// A place a motif occurs: the input, the 0-based start of the occupied span on the input's forward strand, the bases
/// in the motif's orientation (the reverse complement of the span when <paramref name="Strand"/> is '-'), and the strand.
/// </summary>
public sealed record MotifInstance(MotifInput Input, int Start, string Bases, char Strand = '+');

/// <summary>
/// A discovered motif: its consensus (IUPAC), position weight matrix (rows = positions, ACGT frequencies), the
/// candidate words merged into it, its instances in positives, how many positives and negatives contain it, and the
/// hypergeometric p-value of that split with its Benjamini–Hochberg adjustment across the motifs.
/// </summary>
public sealed record Motif(string Id, string Consensus, double[][] Pwm, IReadOnlyList<string> Words, IReadOnlyList<MotifInstance> Instances,
    int PositivesWith, int NegativesWith, double PValue, double AdjustedP);

/// <summary>What a discovery run saw and found; <paramref name="Strands"/> is what was searched (never Auto).</summary>
public sealed record MotifReport(int Positives, int Negatives, int Regions, int CandidatesTested, int CandidatesEnriched, IReadOnlyList<Motif> Motifs, double[] Background,
    MotifStrands Strands = MotifStrands.Forward);

/// <summary>
/// Motif discovery from attention, after DNABERT's motif analysis (Ji et al. 2021, methods; <c>motif/find_motifs.py</c>):
/// (1) in each positive, high-attention regions: runs of bases scoring above <see cref="MotifOptions.Threshold"/> ×
///     the sequence's mean, neighbours at most <see cref="MotifOptions.MaxGap"/> apart merged, at least
///     <see cref="MotifOptions.MinRegion"/> long;
/// (2) candidates: the words (k-mers) inside those regions — DNABERT takes the region strings themselves, but exact
///     region strings rarely recur at the sample sizes a CPU run sees, while their words do;
/// (3) enrichment: for each candidate, the positives and negatives containing it (anywhere; on both strands when
///     <see cref="MotifOptions.Strands"/> says so, a word and its reverse complement then being one candidate), a
///     one-sided hypergeometric test, Benjamini–Hochberg across candidates; kept at ≥ MinInstances positives and
///     adjusted p ≤ MaxAdjustedP;
/// (4) merging: enriched words, best first, join the group whose seed (its best word) they align best with
///     (ungapped, overlap ≥ k − 2, at most one mismatch; on both strands, in whichever orientation aligns better), at
///     that offset; otherwise they start a group;
/// (5) each group's instances are its members' occurrences in positives placed in the group's frame, its PWM their
///     column frequencies (edges below <see cref="MotifOptions.TrimBits"/> trimmed), and the group is tested again as
///     a whole (positives vs negatives containing any member) and ranked by that p-value.
/// </summary>
public static class MotifDiscovery
{
    private const string Bases = "ACGT";

    /// <summary>Runs the method on inputs whose positives carry scores.</summary>
    public static MotifReport Discover(IReadOnlyList<MotifInput> inputs, MotifOptions? options = null)
    {
        var o = options ?? new MotifOptions();
        ConfigLoader.Validate(o, "motif options", "");
        var upper = inputs.Select(i => i with { Sequence = i.Sequence.ToUpperInvariant() }).ToList();
        int positives = upper.Count(i => i.Positive), negatives = upper.Count - positives;
        if (positives == 0) throw new DnaInputException("no positive sequences: motifs are what positives have and negatives lack");
        if (negatives == 0) throw new DnaInputException("no negative sequences: enrichment needs sequences without the label to compare with");
        int k = o.WordLength;
        var strands = Resolve(o.Strands, upper);
        bool both = strands == MotifStrands.Both;

        // (1, 2) candidate words from high-attention regions of positives
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        int regions = 0;
        foreach (var input in upper.Where(i => i.Positive))
        {
            var scores = input.Scores ?? throw new ArgumentException($"positive '{input.Id}' has no attention scores", nameof(inputs));
            foreach (var (start, end) in HighAttentionRegions(scores, o))
            {
                regions++;
                for (int p = start; p + k <= end; p++)
                {
                    var w = input.Sequence.Substring(p, k);
                    if (IsAcgt(w)) candidates.Add(both ? Canonical(w) : w);
                }
            }
        }

        // (3) how many positives / negatives contain each candidate
        var (posWith, negWith) = Containing(upper, candidates, k, both);
        int total = positives + negatives;
        var tested = candidates.Where(w => posWith[w] >= o.MinInstances).OrderBy(w => w, StringComparer.Ordinal).ToList();
        var pValues = tested.Select(w => EnrichmentStatistics.HypergeometricUpperTail(total, positives, posWith[w] + negWith[w], posWith[w])).ToArray();
        var q = EnrichmentStatistics.BenjaminiHochberg(pValues);
        var enriched = tested.Select((w, i) => (Word: w, P: pValues[i], Q: q[i])).Where(x => x.Q <= o.MaxAdjustedP)
            .OrderBy(x => x.P).ThenByDescending(x => posWith[x.Word]).ThenBy(x => x.Word, StringComparer.Ordinal).ToList();

        // (4) merge similar words by ungapped alignment
        var groups = new List<List<(string Word, int Offset)>>();
        foreach (var (word, _, _) in enriched)
        {
            (int Group, int Offset, int Score, string Word) best = (-1, 0, int.MinValue, word);
            for (int g = 0; g < groups.Count; g++)
            {
                // against the group's seed (its best word) only: aligning to any member lets groups drift by chaining
                var (seed, offset) = groups[g][0];
                foreach (var oriented in Orientations(word, both))
                    if (Align(oriented, seed, k) is (int shift, int score) && score > best.Score)
                        best = (g, offset + shift, score, oriented);
            }
            if (best.Group < 0) groups.Add([(word, 0)]);
            else groups[best.Group].Add((best.Word, best.Offset));
        }

        // (5) instances, PWMs, group-level enrichment
        var built = groups.Select(g => Build(g, upper, k, o, both)).Where(m => m is not null).Select(m => m!).ToList();
        var groupP = built.Select(m => EnrichmentStatistics.HypergeometricUpperTail(total, positives, m.PositivesWith + m.NegativesWith, m.PositivesWith)).ToArray();
        var groupQ = EnrichmentStatistics.BenjaminiHochberg(groupP);
        var motifs = built.Select((m, i) => m with { PValue = groupP[i], AdjustedP = groupQ[i] })
            .OrderBy(m => m.PValue).ThenByDescending(m => m.PositivesWith).Take(o.MaxMotifs)
            .Select((m, i) => m with { Id = $"motif_{i + 1}" }).ToList();
        return new MotifReport(positives, negatives, regions, tested.Count, enriched.Count, motifs, Background(upper, both), strands);
    }

    /// <summary>What <see cref="MotifStrands.Auto"/> means for these inputs: both strands when every input has a locus, else forward.</summary>
    public static MotifStrands Resolve(MotifStrands strands, IReadOnlyList<MotifInput> inputs) => strands switch
    {
        MotifStrands.Auto => inputs.Count > 0 && inputs.All(i => i.Chrom is not null) ? MotifStrands.Both : MotifStrands.Forward,
        var s => s,
    };

    /// <summary>A word or its reverse complement, whichever sorts first: the one name both strands' copies share.</summary>
    internal static string Canonical(string word)
    {
        var rc = DnaAlphabet.ReverseComplement(word);
        return string.CompareOrdinal(rc, word) < 0 ? rc : word;
    }

    private static IEnumerable<string> Orientations(string word, bool both)
    {
        yield return word;
        if (!both) yield break;
        var rc = DnaAlphabet.ReverseComplement(word);
        if (rc != word) yield return rc;
    }

    /// <summary>Half-open [start, end) runs of high attention: above threshold × mean, gaps ≤ max gap merged, ≥ min length.</summary>
    public static IReadOnlyList<(int Start, int End)> HighAttentionRegions(double[] scores, MotifOptions o)
    {
        var seen = scores.Where(double.IsFinite).ToArray();
        if (seen.Length == 0) return [];
        double cut = o.Threshold * seen.Average();
        var runs = new List<(int Start, int End)>();
        for (int i = 0; i < scores.Length;)
        {
            if (!(scores[i] > cut)) { i++; continue; }
            int j = i;
            while (j < scores.Length && scores[j] > cut) j++;
            if (runs.Count > 0 && i - runs[^1].End <= o.MaxGap) runs[^1] = (runs[^1].Start, j);
            else runs.Add((i, j));
            i = j;
        }
        return runs.Where(r => r.End - r.Start >= o.MinRegion).ToList();
    }

    /// <summary>
    /// The best ungapped placement of <paramref name="word"/> against <paramref name="member"/> (shift = the word's
    /// start minus the member's start; word[i] sits over member[i + shift]) with overlap ≥ k − 2 and at most one mismatch; score = matches − mismatches. Null when none.
    /// </summary>
    internal static (int Shift, int Score)? Align(string word, string member, int k)
    {
        (int Shift, int Score)? best = null;
        for (int shift = -2; shift <= 2; shift++)
        {
            int matches = 0, mismatches = 0;
            for (int i = 0; i < k; i++)
            {
                int j = i + shift;                // word[i] sits over member[j]
                if (j < 0 || j >= member.Length) continue;
                if (word[i] == member[j]) matches++; else mismatches++;
            }
            if (matches + mismatches < k - 2 || mismatches > 1) continue;
            int score = matches - mismatches;
            if (best is null || score > best.Value.Score) best = (shift, score);
        }
        return best;
    }

    private static (Dictionary<string, int> Pos, Dictionary<string, int> Neg) Containing(IReadOnlyList<MotifInput> inputs, HashSet<string> words, int k, bool both)
    {
        var pos = words.ToDictionary(w => w, _ => 0, StringComparer.Ordinal);
        var neg = words.ToDictionary(w => w, _ => 0, StringComparer.Ordinal);
        // every spelling a sequence may hold (the word, and on both strands its reverse complement) names its candidate
        var spellings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            spellings[w] = w;
            if (both) spellings[DnaAlphabet.ReverseComplement(w)] = w;
        }
        var lookup = spellings.GetAlternateLookup<ReadOnlySpan<char>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            seen.Clear();
            var s = input.Sequence.AsSpan();
            for (int p = 0; p + k <= s.Length; p++)
                if (lookup.TryGetValue(s.Slice(p, k), out var candidate)) seen.Add(candidate);
            var counts = input.Positive ? pos : neg;
            foreach (var w in seen) counts[w]++;
        }
        return (pos, neg);
    }

    private static Motif? Build(List<(string Word, int Offset)> group, IReadOnlyList<MotifInput> inputs, int k, MotifOptions o, bool both)
    {
        int min = group.Min(m => m.Offset), width = group.Max(m => m.Offset) + k - min;
        var instances = new List<MotifInstance>();
        int posWith = 0, negWith = 0;
        foreach (var input in inputs)
        {
            // (strand, start of the motif's frame in that strand's own coordinates)
            var frames = new SortedSet<(char Strand, int Frame)>();
            bool any = false;
            string forward = input.Sequence, reverse = both ? DnaAlphabet.ReverseComplement(forward) : "";
            foreach (var (word, offset) in group)
            {
                any |= Place(forward, word, offset, '+', input.Positive);
                // a palindromic word's minus-strand copy is its plus-strand copy: counted once, on the plus strand
                if (both && DnaAlphabet.ReverseComplement(word) != word) any |= Place(reverse, word, offset, '-', input.Positive);
            }
            if (!any) continue;
            if (input.Positive) posWith++; else negWith++;
            foreach (var (strand, frame) in frames)
            {
                var bases = (strand == '+' ? forward : reverse).Substring(frame, width);
                int start = strand == '+' ? frame : forward.Length - frame - width;
                if (IsAcgt(bases)) instances.Add(new MotifInstance(input, start, bases, strand));
            }

            bool Place(string text, string word, int offset, char strand, bool positive)
            {
                bool found = false;
                for (int p = text.IndexOf(word, StringComparison.Ordinal); p >= 0; p = text.IndexOf(word, p + 1, StringComparison.Ordinal))
                {
                    found = true;
                    int frame = p - offset + min;
                    if (positive && frame >= 0 && frame + width <= text.Length) frames.Add((strand, frame));
                }
                return found;
            }
        }
        if (instances.Count == 0) return null;
        var pwm = new double[width][];
        for (int c = 0; c < width; c++)
        {
            pwm[c] = new double[4];
            foreach (var inst in instances) pwm[c][Bases.IndexOf(inst.Bases[c])] += 1.0 / instances.Count;
        }
        // trim uninformative edge columns, never below the word length
        int left = 0, right = width;
        while (right - left > k && SequenceLogo.InformationContent(pwm[left]) < o.TrimBits) left++;
        while (right - left > k && SequenceLogo.InformationContent(pwm[right - 1]) < o.TrimBits) right--;
        var trimmed = pwm[left..right];
        // trimming the motif's left columns moves a minus-strand instance's forward-strand end, not its start
        var placed = instances.Select(i => i with { Start = i.Start + (i.Strand == '+' ? left : width - right), Bases = i.Bases[left..right] }).ToList();
        return new Motif("", Consensus(trimmed), trimmed, group.OrderBy(m => m.Offset).Select(m => m.Word).ToList(), placed, posWith, negWith, 1, 1);
    }

    /// <summary>IUPAC consensus: a base at ≥ 0.5 and twice the next; else the two-base code when the top two reach 0.75; else N.</summary>
    public static string Consensus(double[][] pwm) => string.Concat(pwm.Select(col =>
    {
        var order = Enumerable.Range(0, 4).OrderByDescending(b => col[b]).ToArray();
        if (col[order[0]] >= 0.5 && col[order[0]] >= 2 * col[order[1]]) return Bases[order[0]];
        if (col[order[0]] + col[order[1]] >= 0.75)
            return string.Concat(new[] { Bases[order[0]], Bases[order[1]] }.Order()) switch
            {
                "AG" => 'R', "CT" => 'Y', "CG" => 'S', "AT" => 'W', "GT" => 'K', _ => 'M',
            };
        return 'N';
    }));

    /// <summary>ACGT frequencies of all inputs; on both strands, of both (so A = T and C = G, as MEME tools expect then).</summary>
    private static double[] Background(IReadOnlyList<MotifInput> inputs, bool both)
    {
        var counts = new double[4];
        foreach (var input in inputs) foreach (var c in input.Sequence) if (Bases.IndexOf(c) is >= 0 and var b) counts[b]++;
        if (both) counts = [counts[0] + counts[3], counts[1] + counts[2], counts[1] + counts[2], counts[0] + counts[3]];
        double sum = counts.Sum();
        return sum == 0 ? [0.25, 0.25, 0.25, 0.25] : counts.Select(c => c / sum).ToArray();
    }

    private static bool IsAcgt(string s)
    {
        foreach (var c in s) if (c is not ('A' or 'C' or 'G' or 'T')) return false;
        return true;
    }
}
