using DnaFoundation.Core;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers.Bpe;

namespace DnaFoundation.Tokenizers.Tests;

public class BpeTrainerTests
{
    /// <summary>
    /// Textbook BPE training, slow and obvious: count every adjacent pair in every word, merge the most frequent
    /// (ties: smaller ids first) left to right everywhere, repeat.
    /// </summary>
    private static (List<string> Tokens, List<(int, int)> Merges) NaiveTrain(IEnumerable<string> words, IReadOnlyList<string> specials, int vocabSize, int minFrequency)
    {
        var tokens = new List<string>(specials) { "A", "C", "G", "T" };
        var ids = tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var corpus = words.Select(w => w.Select(c => ids[c.ToString()]).ToList()).ToList();
        var merges = new List<(int, int)>();
        while (tokens.Count < vocabSize)
        {
            var counts = new Dictionary<(int, int), long>();
            foreach (var w in corpus)
                for (int i = 0; i + 1 < w.Count; i++)
                    counts[(w[i], w[i + 1])] = counts.GetValueOrDefault((w[i], w[i + 1])) + 1;
            if (counts.Count == 0) break;
            var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).First();
            if (best.Value < minFrequency) break;
            var (a, b) = best.Key;
            var s = tokens[a] + tokens[b];
            if (!ids.TryGetValue(s, out int m)) { m = tokens.Count; tokens.Add(s); ids[s] = m; }
            merges.Add((a, b));
            foreach (var w in corpus)
                for (int i = 0; i + 1 < w.Count; i++)
                    if (w[i] == a && w[i + 1] == b) { w[i] = m; w.RemoveAt(i + 1); }
        }
        return (tokens, merges);
    }

    private static List<string> Words(string seq, int chunk) =>
        seq.ToUpperInvariant().Split('N', StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(w => w.Chunk(chunk).Select(c => new string(c))).Where(w => w.Length >= 2).ToList();

    [Fact]
    public void IncrementalTrainingEqualsTextbookBpeOnRealSequence()
    {
        var seq = RealSequences.SoftMaskedChr2()[800..12_800]; // N run edge, soft-masked repeats, a poly-A or two
        var options = new BpeTrainerOptions { VocabSize = 300, ChunkLength = 200 };
        var trainer = new BpeTrainer(options);
        foreach (var piece in seq.Chunk(777)) trainer.Corpus.Add(new string(piece), "chr2");
        var result = trainer.Train();
        var (tokens, merges) = NaiveTrain(Words(seq, 200), options.SpecialTokens, 300, options.MinFrequency);
        Assert.Equal(tokens, result.Tokenizer.Vocabulary.Tokens);
        Assert.Equal(merges, result.Tokenizer.Merges.Select(m => (m.Left, m.Right)));
        Assert.Equal(300, result.Tokenizer.VocabSize);
        Assert.Equal(seq.Length, result.BasesRead);
        Assert.False(result.Sampled);
        Assert.True(result.MergeCounts.Zip(result.MergeCounts.Skip(1)).Count(p => p.First < p.Second) < result.MergeCounts.Count / 4);
    }

    [Fact]
    public void TrainedTokenizerEncodesItsCorpusWithLongTokensAndSavesAsHuggingFaceJson()
    {
        var seq = RealSequences.SoftMaskedChr2()[1000..];
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 512 });
        trainer.Corpus.Add(seq);
        var tok = trainer.Train().Tokenizer;
        Assert.Equal(["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "A", "C", "G", "T"], tok.Vocabulary.Tokens.Take(9));
        var e = tok.Encode(seq, new EncodeOptions { AddSpecialTokens = false });
        Assert.True(e.Length < seq.Length / 4, $"{e.Length} tokens for {seq.Length} bases");
        Assert.Equal(seq.ToUpperInvariant(), tok.Decode(e.Ids));
        using var dir = new TempDir("bpe");
        tok.Save(dir.File("tokenizer.json"));
        var back = DnaTokenizers.Load(dir.File("tokenizer.json"));
        Assert.Equal(e.Ids, back.Encode(seq, new EncodeOptions { AddSpecialTokens = false }).Ids);
        Assert.Equal([1], back.Special.Prefix);
        Assert.Equal([2], back.Special.Suffix);
    }

    [Fact]
    public void FirstMergesGiveThePrefixTokenizer()
    {
        var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = 400 });
        trainer.Corpus.Add(RealSequences.SoftMaskedChr2());
        var tok = trainer.Train().Tokenizer;
        var early = tok.WithFirstMerges(50);
        Assert.Equal(50, early.Merges.Count);
        Assert.Equal(tok.Vocabulary.Tokens.Take(early.VocabSize), early.Vocabulary.Tokens);
        Assert.True(early.VocabSize <= 9 + 50);
        Assert.Equal(9, tok.WithFirstMerges(0).VocabSize);
    }

    [Fact]
    public void MemoryBoundSamplesChunksUniformly()
    {
        var seq = RealSequences.SoftMaskedChr2()[1000..];
        var corpus = new BpeCorpus(new BpeTrainerOptions { ChunkLength = 100, MaxBases = 2_000 });
        corpus.Add(seq);
        corpus.EndSequence();
        Assert.True(corpus.Sampled);
        Assert.Equal(2_000, corpus.BasesKept);
        Assert.Equal(seq.Length, corpus.BasesRead);
        Assert.Equal(20, corpus.Chunks.Count);
    }

    [Fact]
    public void InvalidCharacterNamesSequenceAndPositionAcrossPieces()
    {
        var corpus = new BpeCorpus(new BpeTrainerOptions());
        corpus.Add("ACGTACGTAC", "chrX", "x.fa");
        var e = Assert.Throws<DnaInputException>(() => corpus.Add("ACG>", "chrX", "x.fa"));
        Assert.Contains("x.fa", e.Message);
        Assert.Contains("sequence 'chrX' position 14", e.Message);
    }

    [Fact]
    public void SpecialTokensMustIncludeUnkPadMask() =>
        Assert.Throws<DnaInputException>(() => new BpeTrainer(new BpeTrainerOptions { SpecialTokens = ["[CLS]", "[SEP]"] }));
}
