using DnaFoundation.Tokenizers.Bpe;
using DnaFoundation.Tokenizers.Selection;

namespace DnaFoundation.Tokenizers.Tests;

public class VocabularySelectionTests
{
    [Fact]
    public void ACycleIsExactlyTheVocabularyTrainingWouldStopAt()
    {
        var seq = RealSequences.SoftMaskedChr2();
        DnaBpeTokenizer Train(int vocab)
        {
            var t = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocab });
            t.Corpus.Add(seq);
            return t.Train().Tokenizer;
        }
        var small = Train(200);
        var cycle = Train(400).WithFirstMerges(small.Merges.Count);
        Assert.Equal(small.Vocabulary.Tokens, cycle.Vocabulary.Tokens);
        Assert.Equal(small.Merges, cycle.Merges);
        Assert.Equal(small.Encode(seq).Ids, cycle.Encode(seq).Ids);
    }

    [Fact]
    public void SelectionScoresEveryCycleOnHeldOutWindowsAndChoosesTheBest()
    {
        var options = new SelectionOptions { Cycles = [20, 60, 120, 240], NextK = 3, HeldOutEvery = 4 };
        var run = new SelectionRun(options, new BpeTrainerOptions());
        var seq = RealSequences.SoftMaskedChr2();
        foreach (var piece in seq.Chunk(4096)) run.Add(new string(piece), "chr2");
        run.EndSequence();
        var (report, chosen, training) = run.Run();

        Assert.Equal([20, 60, 120, 240], report.Scores.Select(s => s.Cycle));
        Assert.Equal(report.Scores.MaxBy(s => s.NextKmerAccuracy), report.Chosen);
        Assert.Equal(report.Chosen.Cycle, chosen.Merges.Count);
        Assert.Equal(report.Chosen.VocabSize, chosen.VocabSize);
        Assert.Equal(240, training.Tokenizer.Merges.Count);
        Assert.Equal(5000, report.HeldOutBases);        // windows 4, 8, 12, 16, 20 of the 20 one-kb windows
        Assert.True(report.TrainBases + report.HeldOutBases == seq.Length);
        Assert.All(report.Scores, s =>
        {
            Assert.InRange(s.Balance, 0.5, 1.0);
            Assert.True(s.NextKmerAccuracy > s.NextKmerBaseline, $"cycle {s.Cycle}: token context should beat the blind guess");
        });
        Assert.True(report.Scores[^1].MeanTokenLength > report.Scores[0].MeanTokenLength);
        var md = report.ToMarkdown();
        Assert.Contains($"| {report.Chosen.Cycle} **(chosen)** |", md);
        Assert.Equal(5, report.ToTsv().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
