using DnaFoundation.Core;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Tokenizers.Tests;

public class LoadTests
{
    [Theory]
    [InlineData("kmer:3", typeof(KmerTokenizer), 69)]
    [InlineData("kmer:6", typeof(KmerTokenizer), 4101)]
    [InlineData("nt6", typeof(NtKmerTokenizer), 4107)]
    [InlineData("char", typeof(CharTokenizer), 12)]
    public void BuiltInSpecs(string spec, Type type, int vocabSize)
    {
        var tok = DnaTokenizers.Load(spec);
        Assert.IsType(type, tok);
        Assert.Equal(vocabSize, tok.VocabSize);
        Assert.Equal(spec, tok.Spec);
    }

    [Theory]
    [InlineData("kmer:7")]
    [InlineData("kmer:x")]
    [InlineData("no-such-tokenizer")]
    public void BadSpecsAreInputErrors(string spec) => Assert.Throws<DnaInputException>(() => DnaTokenizers.Load(spec));

    [Theory]
    [InlineData("kmer:5")]
    [InlineData("nt6")]
    [InlineData("char")]
    public void SavedVocabTxtLoadsBackAsTheSameFamily(string spec)
    {
        using var dir = new TempDir("tok");
        var tok = DnaTokenizers.Load(spec);
        var path = dir.File("vocab.txt");
        tok.Save(path);
        var back = DnaTokenizers.Load(dir.Path);
        Assert.Equal(tok.GetType(), back.GetType());
        Assert.Equal(tok.Vocabulary.Tokens, back.Vocabulary.Tokens);
        var seq = RealSequences.SoftMaskedChr2()[4000..4500];
        Assert.Equal(tok.Encode(seq).Ids, back.Encode(seq).Ids);
    }

    [Fact]
    public void DnabertVocabTxtFileLoadsAsKmers()
    {
        var tok = DnaTokenizers.Load(TestPaths.Fixture("tokenizers", "dnabert1_k6_vocab.txt"));
        Assert.Equal(6, Assert.IsType<KmerTokenizer>(tok).K);
        Assert.Equal((1, 0, 4, 2, 3), (tok.UnkId, tok.PadId, tok.MaskId, tok.Special.Cls, tok.Special.Sep));
    }
}
