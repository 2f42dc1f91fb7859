namespace DnaFoundation.Tokenizers.Tests;

public class OtherFamiliesTests
{
    /// <summary>NT's algorithm written the plain way: split at N, cut each piece into k-mers from its left, tail as single bases.</summary>
    private static List<string> NtReference(string seq, int k)
    {
        var tokens = new List<string>();
        var pieces = seq.Split('N');
        for (int p = 0; p < pieces.Length; p++)
        {
            var piece = pieces[p];
            int full = piece.Length / k * k;
            for (int i = 0; i < full; i += k) tokens.Add(piece.Substring(i, k));
            foreach (var c in piece[full..]) tokens.Add(c.ToString());
            if (p < pieces.Length - 1) tokens.Add("N");
        }
        return tokens;
    }

    [Theory]
    [InlineData("ATCGAATGGCGATGCAC", "ATCGA ATGGC GATGC A C")]      // NT docstring examples, k = 5
    [InlineData("ATCGAATNGGCGATGCAC", "ATCGA A T N GGCGA TGCAC")]
    public void NtMatchesItsDocumentedExamples(string seq, string expected)
    {
        var tok = NtKmerTokenizer.NucleotideTransformer(5);
        var e = tok.Encode(seq, new EncodeOptions { AddSpecialTokens = false });
        Assert.Equal(expected, string.Join(' ', e.Ids.Select(i => tok.Vocabulary[i])));
    }

    [Fact]
    public void NtVocabularyHasNtsOrderAndSize()
    {
        var tok = NtKmerTokenizer.NucleotideTransformer();
        Assert.Equal(4107, tok.VocabSize);
        Assert.Equal(["<unk>", "<pad>", "<mask>", "<cls>", "<eos>", "<bos>", "AAAAAA", "AAAAAT"], tok.Vocabulary.Tokens.Take(8));
        Assert.Equal(["GGGGGG", "A", "T", "C", "G", "N"], tok.Vocabulary.Tokens.Skip(4101));
        Assert.Equal((0, 1, 2, 3), (tok.UnkId, tok.PadId, tok.MaskId, tok.Special.Cls));
        Assert.Empty(tok.Special.Suffix);
    }

    [Fact]
    public void NtOnRealSequenceNeverPutsNInsideAKmerAndCoversEveryBase()
    {
        // Real sequence with an N run cut at an odd place, plus a few isolated N.
        var raw = RealSequences.SoftMaskedChr2()[997..4000].ToUpperInvariant().ToCharArray();
        raw[1234] = 'N';
        raw[2001] = 'N';
        var seq = new string(raw);
        var tok = NtKmerTokenizer.NucleotideTransformer();
        var e = tok.Encode(seq);
        var tokens = e.Ids.Skip(1).Select(i => tok.Vocabulary[i]).ToList();
        Assert.Equal(NtReference(seq, 6), tokens);
        Assert.Equal(tok.Special.Cls!.Value, e.Ids[0]);
        int pos = 0;
        foreach (var span in e.Offsets.Skip(1))
        {
            Assert.Equal(pos, span.Start);
            pos = span.End;
        }
        Assert.Equal(seq.Length, pos);
        Assert.DoesNotContain(tokens, t => t.Length > 1 && t.Contains('N'));
    }

    [Fact]
    public void CharTokenizerUsesHyenaDnaIdsAndAppendsSep()
    {
        var tok = CharTokenizer.HyenaDna();
        Assert.Equal([7, 8, 9, 10, 11, 1], tok.Encode("ACGTN").Ids);
        Assert.Equal(4, tok.PadId);
        Assert.Equal(3, tok.MaskId);
        Assert.Equal(6, tok.UnkId);
        Assert.Equal(12, tok.VocabSize);
        Assert.True(tok.IsSpecial(5));
        Assert.False(tok.IsSpecial(11));
    }

    [Fact]
    public void CharTokenizerOnSoftMaskedSequenceFlagsExactlyTheLowercaseBases()
    {
        var seq = RealSequences.SoftMaskedChr2();
        var e = CharTokenizer.HyenaDna().Encode(seq, new EncodeOptions { AddSpecialTokens = false });
        Assert.Equal(seq.Length, e.Length);
        for (int i = 0; i < seq.Length; i++)
            Assert.Equal(char.IsLower(seq[i]), e.SoftMasked[i]);
        Assert.Equal(seq.Count(char.IsLower), e.SoftMasked.Count(f => f));
    }
}
