using DnaFoundation.TestSupport;

namespace DnaFoundation.Tokenizers.Tests;

public class KmerTokenizerTests
{
    [Fact]
    public void BuiltInSixMerVocabularyIsDnabertsVocabTxt()
    {
        var theirs = File.ReadAllLines(TestPaths.Fixture("tokenizers", "dnabert1_k6_vocab.txt"));
        var ours = KmerTokenizer.Dnabert(6).Vocabulary.Tokens;
        Assert.Equal(4101, ours.Count);
        Assert.Equal(theirs, ours);
    }

    [SkippableTheory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void BuiltInVocabulariesEqualDnabertsFiles(int k)
    {
        var path = TestPaths.Shared("tokenizers", "dnabert1", $"k{k}", "vocab.txt");
        var fromFile = KmerTokenizer.FromVocabTxt(path);
        Assert.Equal(k, fromFile.K);
        Assert.Equal((1 << (2 * k)) + 5, fromFile.VocabSize);
        Assert.Equal(File.ReadAllLines(path), KmerTokenizer.Dnabert(k).Vocabulary.Tokens);
    }

    /// <summary>DNABERT's own pipeline: seq2kmer (split into overlapping k-mers), then a vocabulary lookup.</summary>
    private static int[] DnabertReference(string seq, int k, IReadOnlyList<string> vocab)
    {
        var index = vocab.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);
        var ids = new List<int> { index["[CLS]"] };
        for (int i = 0; i + k <= seq.Length; i++)
            ids.Add(index.TryGetValue(seq.Substring(i, k), out int id) ? id : index["[UNK]"]);
        ids.Add(index["[SEP]"]);
        return [.. ids];
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void IdsEqualDnabertPipelineOnRealSequenceWithNRun(int k)
    {
        // 1,000 N then real sequence: k-mers touching N must be [UNK]; case folded as DNABERT users do by hand.
        var seq = RealSequences.SoftMaskedChr2()[900..3000].ToUpperInvariant();
        var tok = KmerTokenizer.Dnabert(k);
        var e = tok.Encode(seq);
        Assert.Equal(DnabertReference(seq, k, tok.Vocabulary.Tokens), e.Ids);
        Assert.Equal(seq.Length - k + 1 + 2, e.Length);
        Assert.Equal(tok.UnkId, e.Ids[1]);
        Assert.Equal(100, e.Ids.Count(id => id == tok.UnkId)); // the k-mers starting at the 100 leading N
    }

    [Fact]
    public void OffsetsAreOverlappingWindowsAndSpecialsHaveEmptySpans()
    {
        var e = KmerTokenizer.Dnabert(3).Encode("ACGTAC");
        Assert.Equal([new BaseSpan(0, 0), new(0, 3), new(1, 4), new(2, 5), new(3, 6), new(0, 0)], e.Offsets);
        Assert.Equal(3, KmerTokenizer.Dnabert(3).MaskSpan);
    }

    [Fact]
    public void ShorterThanKGivesOnlySpecialTokens()
    {
        var tok = KmerTokenizer.Dnabert(6);
        Assert.Equal([tok.Special.Cls!.Value, tok.Special.Sep!.Value], tok.Encode("ACGTA").Ids);
    }

    [Fact]
    public void DecodeRebuildsTheSequence()
    {
        var seq = RealSequences.SoftMaskedChr2()[5000..5300].ToUpperInvariant();
        var tok = KmerTokenizer.Dnabert(6);
        Assert.Equal(seq, tok.Decode(tok.Encode(seq).Ids));
    }

    [Fact]
    public void SampleFineTuneFileKmerTextReadsBackToTheSameIds()
    {
        var tok = KmerTokenizer.FromVocabTxt(TestPaths.Fixture("tokenizers", "dnabert1_k6_vocab.txt"));
        CheckFineTuneFile(tok, TestPaths.Fixture("tokenizers", "dnabert1_sample_ft6_dev_first100.tsv"), 100);
    }

    [SkippableFact]
    public void WholeSampleFineTuneFileReadsBackToTheSameIds()
    {
        var tok = KmerTokenizer.FromVocabTxt(TestPaths.Shared("tokenizers", "dnabert1", "k6", "vocab.txt"));
        CheckFineTuneFile(tok, TestPaths.Shared("tokenizers", "dnabert1", "sample_ft6_dev.tsv"), 1000);
    }

    private static void CheckFineTuneFile(KmerTokenizer tok, string path, int expectedRows)
    {
        var rows = File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).ToList();
        Assert.Equal(expectedRows, rows.Count);
        foreach (var row in rows)
        {
            var kmerText = row.Split('\t')[0];
            var seq = KmerText.ToSequence(kmerText);
            var kmers = kmerText.Split(' ');
            Assert.Equal(kmers.Length + 5, seq.Length);
            var expected = new[] { tok.Special.Cls!.Value }
                .Concat(kmers.Select(km => tok.Vocabulary.TryGetId(km, out int id) ? id : tok.UnkId))
                .Append(tok.Special.Sep!.Value);
            Assert.Equal(expected, tok.Encode(seq).Ids);
        }
    }

    [Fact]
    public void KmerTextThatDoesNotOverlapIsAnError()
    {
        var e = Assert.Throws<Core.DnaInputException>(() => KmerText.ToSequence("ACGTAC CGTACG GGGGGG", "dev.tsv", 7));
        Assert.Contains("dev.tsv:7", e.Message);
        Assert.Contains("k-mer 3", e.Message);
    }
}
