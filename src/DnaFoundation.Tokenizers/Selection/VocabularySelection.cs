using System.ComponentModel.DataAnnotations;
using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers.Selection;

/// <summary>Which score picks the cycle.</summary>
public enum SelectionCriterion
{
    /// <summary>Highest held-out next-k-mer accuracy (GROVER chose its 600-cycle vocabulary by next-k-mer prediction).</summary>
    NextKmer,

    /// <summary>Most balanced token frequencies (highest normalized entropy).</summary>
    Balance,

    /// <summary>Highest product of the two (each scaled to its best value over the cycles).</summary>
    Product,
}

/// <summary>Settings of <see cref="VocabularySelector"/>.</summary>
public sealed record SelectionOptions
{
    /// <summary>Merge cycles to score (each a prefix of the trained merges).</summary>
    public IReadOnlyList<int> Cycles { get; init; } = [.. Enumerable.Range(1, 20).Select(i => i * 100)];

    /// <summary>k of the next-k-mer task: predict the k bases that follow a token.</summary>
    [Range(1, 8)]
    public int NextK { get; init; } = 4;

    public SelectionCriterion Criterion { get; init; } = SelectionCriterion.NextKmer;

    /// <summary>Input is cut into windows of this many bases; every <see cref="HeldOutEvery"/>-th window is held out.</summary>
    [Range(100, 1_000_000)]
    public int WindowLength { get; init; } = 1000;

    [Range(2, 1000)]
    public int HeldOutEvery { get; init; } = 10;

    /// <summary>Bases of training windows (uniform sample) used to count which k-mer follows each token.</summary>
    [Range(1000, long.MaxValue)]
    public long ScoreBases { get; init; } = 10_000_000;

    /// <summary>Bases of held-out windows (uniform sample) the scores are measured on.</summary>
    [Range(1000, long.MaxValue)]
    public long HeldOutBases { get; init; } = 2_000_000;

    public int Seed { get; init; } = 1;
}

/// <summary>Scores of one BPE cycle on held-out sequence.</summary>
/// <param name="Cycle">Merges applied.</param>
/// <param name="VocabSize">Tokens in that vocabulary, special tokens included.</param>
/// <param name="MeanTokenLength">Bases per token on the held-out set.</param>
/// <param name="Balance">Normalized Shannon entropy of token frequencies, H / ln(number of base tokens): 1 = every token equally frequent.</param>
/// <param name="TokensUsed">Distinct tokens seen on the held-out set.</param>
/// <param name="NextKmerAccuracy">Held-out accuracy of predicting the next k bases from the current token (most frequent follower in training).</param>
/// <param name="NextKmerBaseline">The same for a predictor that ignores the token (always the overall most frequent k-mer).</param>
public sealed record CycleScore(int Cycle, int VocabSize, double MeanTokenLength, double Balance, int TokensUsed, double NextKmerAccuracy, double NextKmerBaseline);

/// <summary>All cycles' scores and the chosen one.</summary>
public sealed record SelectionReport(IReadOnlyList<CycleScore> Scores, CycleScore Chosen, SelectionCriterion Criterion, int NextK, long TrainBases, long HeldOutBases)
{
    /// <summary>A Markdown table, one row per cycle, the chosen one marked.</summary>
    public string ToMarkdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"| cycle | vocab | bases/token | balance | tokens used | next-{NextK}-mer acc | baseline |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in Scores)
            sb.AppendLine(System.FormattableString.Invariant(
                $"| {s.Cycle}{(s == Chosen ? " **(chosen)**" : "")} | {s.VocabSize} | {s.MeanTokenLength:F2} | {s.Balance:F4} | {s.TokensUsed} | {s.NextKmerAccuracy:F4} | {s.NextKmerBaseline:F4} |"));
        return sb.ToString();
    }

    /// <summary>Tab-separated table for plotting elsewhere.</summary>
    public string ToTsv()
    {
        var sb = new System.Text.StringBuilder("cycle\tvocab_size\tmean_token_length\tbalance\ttokens_used\tnext_kmer_accuracy\tnext_kmer_baseline\tchosen\n");
        foreach (var s in Scores)
            sb.AppendLine(System.FormattableString.Invariant(
                $"{s.Cycle}\t{s.VocabSize}\t{s.MeanTokenLength:F4}\t{s.Balance:F6}\t{s.TokensUsed}\t{s.NextKmerAccuracy:F6}\t{s.NextKmerBaseline:F6}\t{(s == Chosen ? 1 : 0)}"));
        return sb.ToString();
    }
}

/// <summary>
/// GROVER-style vocabulary selection (Sanabria et al., Nature Machine Intelligence 2024): run BPE merge cycles, score
/// each checkpointed cycle, keep the best. GROVER scored cycles by fine-tuning a model per vocabulary on next-k-mer
/// prediction and looked at how balanced token frequencies were. Training a model per cycle is what makes that costly,
/// so here the next-k-mer score is intrinsic: from training sequence, count which k bases follow each token; on
/// held-out sequence, predict the most frequent follower and report the accuracy. Small vocabularies carry little
/// context per token; large ones spread the counts thin and stop generalising, so the score peaks in between, as
/// GROVER's did. Balance is the normalized entropy of the held-out token frequencies.
/// </summary>
public static class VocabularySelector
{
    public static SelectionReport Evaluate(DnaBpeTokenizer trained, IReadOnlyList<string> train, IReadOnlyList<string> heldOut,
        SelectionOptions options, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        var cycles = options.Cycles.Where(c => c >= 0).Distinct().Order().ToList();
        if (cycles.Count == 0) throw new DnaInputException("no cycles to score");
        cycles.RemoveAll(c => c > trained.Merges.Count); // training may stop early (min_frequency)
        if (cycles.Count == 0) throw new DnaInputException($"every cycle to score is past the {trained.Merges.Count} merges training produced");
        var scores = new List<CycleScore>();
        foreach (var cycle in cycles)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scores.Add(Score(trained.WithFirstMerges(cycle), cycle, train, heldOut, options.NextK));
            progress?.Report(new ProgressInfo("select", scores.Count, cycles.Count, "cycles", $"cycle {cycle}"));
        }
        double bestAcc = scores.Max(s => s.NextKmerAccuracy), bestBal = scores.Max(s => s.Balance);
        var chosen = options.Criterion switch
        {
            SelectionCriterion.NextKmer => scores.MaxBy(s => s.NextKmerAccuracy)!,
            SelectionCriterion.Balance => scores.MaxBy(s => s.Balance)!,
            _ => scores.MaxBy(s => s.NextKmerAccuracy / bestAcc * (s.Balance / bestBal))!,
        };
        return new SelectionReport(scores, chosen, options.Criterion, options.NextK,
            train.Sum(s => (long)s.Length), heldOut.Sum(s => (long)s.Length));
    }

    private static CycleScore Score(DnaBpeTokenizer tok, int cycle, IReadOnlyList<string> train, IReadOnlyList<string> heldOut, int k)
    {
        int kmers = 1 << (2 * k);
        var follow = new int[tok.VocabSize * kmers];   // (token, next k-mer) counts from training
        var overall = new long[kmers];
        var noSpecials = new EncodeOptions { AddSpecialTokens = false };
        foreach (var seq in train)
            ForEachFollower(tok, seq, k, noSpecials, (id, kmer) => { follow[id * kmers + kmer]++; overall[kmer]++; });
        var best = new int[tok.VocabSize];
        for (int id = 0; id < tok.VocabSize; id++)
        {
            var row = follow.AsSpan(id * kmers, kmers);
            int arg = 0;
            for (int j = 1; j < kmers; j++) if (row[j] > row[arg]) arg = j;
            best[id] = row[arg] > 0 ? arg : -1;
        }
        int globalBest = Array.IndexOf(overall, overall.Max());
        for (int id = 0; id < best.Length; id++) if (best[id] < 0) best[id] = globalBest;

        long hits = 0, baseHits = 0, trials = 0, tokens = 0, bases = 0;
        var freq = new long[tok.VocabSize];
        foreach (var seq in heldOut)
        {
            var e = tok.Encode(seq, noSpecials);
            foreach (var id in e.Ids) freq[id]++;
            tokens += e.Length;
            bases += seq.Length;
            ForEachFollower(tok, seq, k, noSpecials, (id, kmer) =>
            {
                trials++;
                if (best[id] == kmer) hits++;
                if (globalBest == kmer) baseHits++;
            }, e);
        }
        double entropy = 0;
        foreach (var f in freq)
            if (f > 0) { double p = (double)f / tokens; entropy -= p * Math.Log(p); }
        int baseTokens = Enumerable.Range(0, tok.VocabSize).Count(i => !tok.IsSpecial(i));
        return new CycleScore(cycle, tok.VocabSize, tokens == 0 ? 0 : (double)bases / tokens,
            baseTokens > 1 ? entropy / Math.Log(baseTokens) : 0, freq.Count(f => f > 0),
            trials == 0 ? 0 : (double)hits / trials, trials == 0 ? 0 : (double)baseHits / trials);
    }

    // For every token followed by k unambiguous bases: (token id, those k bases as a base-4 code).
    private static void ForEachFollower(DnaBpeTokenizer tok, string seq, int k, EncodeOptions options, Action<int, int> visit, DnaEncoding? encoded = null)
    {
        var e = encoded ?? tok.Encode(seq, options);
        var codes = new byte[seq.Length];
        DnaAlphabet.Normalize(seq, codes, [], AmbiguousBasePolicy.MapToN);
        for (int t = 0; t < e.Length; t++)
        {
            int end = e.Offsets[t].End;
            if (end + k > seq.Length || e.Ids[t] == tok.UnkId) continue;
            int code = 0;
            bool ok = true;
            for (int j = 0; j < k && ok; j++)
            {
                int b = codes[end + j];
                ok = b != DnaAlphabet.N;
                code = (code << 2) | (b & 3);
            }
            if (ok) visit(e.Ids[t], code);
        }
    }
}
