using System.Diagnostics;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers.Bpe;

/// <summary>What training produced: the tokenizer, how often each merged pair occurred, and what was read.</summary>
public sealed record BpeTrainingResult(DnaBpeTokenizer Tokenizer, IReadOnlyList<long> MergeCounts, long BasesRead, long BasesKept, bool Sampled, TimeSpan Elapsed);

/// <summary>
/// Trains a DNA BPE vocabulary: special tokens first, then A C G T, then one token per merge of the most frequent
/// adjacent pair (ties: the smaller ids first, as Hugging Face's trainer does), until the vocabulary is full or no
/// pair occurs <see cref="BpeTrainerOptions.MinFrequency"/> times.
/// <para>Feed sequence through <see cref="Corpus"/> (streaming, memory bounded), then call <see cref="Train"/>.</para>
/// <para>Algorithm: the corpus is one array of symbols indexed by base position (a symbol lives at its first base,
/// so the next symbol is at position + token length; a second array maps a symbol's last base to its first, for
/// the previous one). Each pair keeps the positions where it occurs; a merge visits only those, updates the
/// neighbouring pairs' counts, and re-queues the pairs whose counts grew. Decreases are caught lazily when a pair
/// reaches the top of the queue. Work is proportional to the merges applied, not to corpus × vocabulary, and all
/// state is in a few flat arrays (see <see cref="PairTable"/>), so the garbage collector has next to nothing to trace.</para>
/// </summary>
public sealed class BpeTrainer
{
    private const int Separator = -1, Dead = -2;

    private readonly BpeTrainerOptions options;

    public BpeTrainer(BpeTrainerOptions options)
    {
        var missing = new[] { "[UNK]", "[PAD]", "[MASK]" }.Where(s => !options.SpecialTokens.Contains(s)).ToList();
        if (missing.Count > 0)
            throw new DnaInputException($"special_tokens must include {string.Join(", ", missing)}");
        if (options.VocabSize < options.SpecialTokens.Count + 4)
            throw new DnaInputException($"vocab_size {options.VocabSize} is smaller than the special tokens plus A, C, G, T");
        this.options = options;
        Corpus = new BpeCorpus(options);
    }

    public BpeCorpus Corpus { get; }

    private readonly record struct Priority(long Count, int Left, int Right);

    // Highest count first; ties: smaller (left, right) first.
    private sealed class PriorityOrder : IComparer<Priority>
    {
        public static readonly PriorityOrder Instance = new();

        public int Compare(Priority x, Priority y)
        {
            int c = y.Count.CompareTo(x.Count);
            if (c != 0) return c;
            c = x.Left.CompareTo(y.Left);
            return c != 0 ? c : x.Right.CompareTo(y.Right);
        }
    }

    public BpeTrainingResult Train(IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        Corpus.EndSequence();
        var tokens = new List<string>(options.SpecialTokens);
        int firstBase = tokens.Count;
        tokens.AddRange(["A", "C", "G", "T"]);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++) ids[tokens[i]] = i;
        var lengths = new List<int>(tokens.Select(t => t.Length));

        // Layout: SEP word SEP word … SEP, so neither neighbour lookup needs a bounds check.
        var chunks = Corpus.Chunks;
        long total = 1 + chunks.Sum(c => (long)c.Length + 1);
        if (total > Array.MaxLength) throw new DnaInputException($"corpus of {total:N0} bases is too large for one training run; lower max_bases");
        var sym = new int[total];
        var startOf = new int[total];
        int at = 0;
        sym[at++] = Separator;
        foreach (var chunk in chunks)
        {
            foreach (var b in chunk) { startOf[at] = at; sym[at++] = firstBase + b; }
            sym[at++] = Separator;
        }

        var pairs = new PairTable(total);
        for (int p = 1; p + 1 < sym.Length; p++)
            if (sym[p] >= 0 && sym[p + 1] >= 0) pairs.Increment(sym[p], sym[p + 1], p, round: -1);

        var queue = new PriorityQueue<int, Priority>(PriorityOrder.Instance);
        for (int i = 0; i < pairs.Count; i++)
            if (pairs.Counts[i] > 0) queue.Enqueue(i, new Priority(pairs.Counts[i], pairs.Lefts[i], pairs.Rights[i]));

        var merges = new List<(int Left, int Right)>();
        var counts = new List<long>();
        var positions = new List<int>();
        int round = 0;
        while (tokens.Count < options.VocabSize && queue.TryDequeue(out int best, out var pr))
        {
            cancellationToken.ThrowIfCancellationRequested();
            long current = pairs.Counts[best];
            if (current != pr.Count)
            {
                if (current > 0 && current < pr.Count) queue.Enqueue(best, pr with { Count = current });
                continue; // stale entry; when the count grew, a fresher entry is queued already
            }
            if (current < options.MinFrequency) break;
            int a = pr.Left, b = pr.Right;
            var merged = tokens[a] + tokens[b];
            if (!ids.TryGetValue(merged, out int m))
            {
                m = tokens.Count;
                tokens.Add(merged);
                lengths.Add(merged.Length);
                ids[merged] = m;
            }
            merges.Add((a, b));
            counts.Add(current);
            round++;

            pairs.TakePositions(best, positions);
            if (a == b) positions.Sort(); // overlapping runs (AAA) merge left to right, as encoding does
            int la = lengths[a], lb = lengths[b];
            foreach (int p in positions)
            {
                if (sym[p] != a) continue;           // no longer a symbol start, or another symbol now
                int q = p + la;
                if (sym[q] != b) continue;
                int r = q + lb;
                if (sym[p - 1] != Separator)
                {
                    int pp = startOf[p - 1];
                    pairs.Decrement(sym[pp], a);
                    pairs.Increment(sym[pp], m, pp, round);
                }
                if (sym[r] != Separator)
                {
                    pairs.Decrement(b, sym[r]);
                    pairs.Increment(m, sym[r], p, round);
                }
                sym[p] = m;
                sym[q] = Dead;
                startOf[r - 1] = p;
                pairs.Counts[best]--;
            }
            foreach (int t in pairs.Touched)
                if (pairs.Counts[t] > 0) queue.Enqueue(t, new Priority(pairs.Counts[t], pairs.Lefts[t], pairs.Rights[t]));
            pairs.Touched.Clear();
            if ((merges.Count & 63) == 0)
                progress?.Report(new ProgressInfo("bpe-train", tokens.Count, options.VocabSize, "tokens", $"merge {merges.Count}: {counts[^1]:N0} occurrences"));
        }
        progress?.Report(new ProgressInfo("bpe-train", tokens.Count, options.VocabSize, "tokens", $"{merges.Count} merges"));

        var tokenizer = DnaBpeTokenizer.Create(tokens, options.SpecialTokens, merges);
        return new BpeTrainingResult(tokenizer, counts, Corpus.BasesRead, Corpus.BasesKept, Corpus.Sampled, clock.Elapsed);
    }
}
