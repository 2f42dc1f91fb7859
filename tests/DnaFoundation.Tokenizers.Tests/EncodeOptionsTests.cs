using Microsoft.ML.Tokenizers;

namespace DnaFoundation.Tokenizers.Tests;

public class EncodeOptionsTests
{
    private static readonly string Seq = RealSequences.SoftMaskedChr2()[3000..3200];

    [Fact]
    public void TruncationKeepsSpecialTokensAndReportsBasesConsumed()
    {
        var tok = KmerTokenizer.Dnabert(6);
        var full = tok.Encode(Seq);
        var cut = tok.Encode(Seq, new EncodeOptions { MaxLength = 10 });
        Assert.Equal(10, cut.Length);
        Assert.Equal(full.Ids[..9], cut.Ids[..9]);
        Assert.Equal(tok.Special.Sep!.Value, cut.Ids[^1]);
        Assert.Equal(8 + 5, cut.BasesConsumed);
        Assert.Equal(Seq.Length, full.BasesConsumed);
    }

    [Fact]
    public void PaddingFillsWithPadAndZeroAttention()
    {
        var tok = NtKmerTokenizer.NucleotideTransformer();
        var e = tok.Encode(Seq[..30], new EncodeOptions { MaxLength = 12, PadToMaxLength = true });
        Assert.Equal(12, e.Length);
        Assert.Equal(6, e.TokenCount); // <cls> + 5 six-mers
        Assert.Equal([1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], e.AttentionMask);
        Assert.All(e.Ids[6..], id => Assert.Equal(tok.PadId, id));
        Assert.All(e.Offsets[6..], o => Assert.Equal(default, o));
    }

    [Fact]
    public void MaxLengthTooSmallForSpecialTokensIsAnArgumentError() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KmerTokenizer.Dnabert(3).Encode("ACGTACGT", new EncodeOptions { MaxLength = 1 }));

    [Theory]
    [InlineData("kmer:4")]
    [InlineData("nt6")]
    [InlineData("char")]
    [InlineData("dnabert2")]
    public void ReverseComplementEncodesTheOtherStrandWithForwardOffsets(string spec)
    {
        var tok = DnaTokenizers.Load(spec == "dnabert2" ? TestFiles.Dnabert2Json : spec);
        var rc = DnaAlphabet.ReverseComplement(Seq);
        var viaOption = tok.Encode(Seq, new EncodeOptions { ReverseComplement = true });
        var direct = tok.Encode(rc);
        Assert.Equal(direct.Ids, viaOption.Ids);
        Assert.Equal(direct.SoftMasked, viaOption.SoftMasked);
        for (int t = 0; t < direct.Length; t++)
        {
            var d = direct.Offsets[t];
            if (d.Length == 0) continue;
            Assert.Equal(new BaseSpan(Seq.Length - d.End, Seq.Length - d.Start), viaOption.Offsets[t]);
        }
    }

    [Theory]
    [InlineData("kmer:6")]
    [InlineData("nt6")]
    [InlineData("char")]
    [InlineData("dnabert2")]
    public void EncodeIdsWritesTheSameIdsAsEncode(string spec)
    {
        var tok = DnaTokenizers.Load(spec == "dnabert2" ? TestFiles.Dnabert2Json : spec);
        var options = new[]
        {
            EncodeOptions.Default,
            new EncodeOptions { MaxLength = 17 },
            new EncodeOptions { MaxLength = 300, PadToMaxLength = true, ReverseComplement = true },
            new EncodeOptions { AddSpecialTokens = false },
        };
        var bytes = System.Text.Encoding.ASCII.GetBytes(Seq);
        foreach (var o in options)
        {
            var buffer = new int[tok.MaxTokenCount(Seq.Length, o)];
            int n = tok.EncodeIds(Seq, buffer, o);
            Assert.Equal(tok.Encode(Seq, o).Ids, buffer[..n]);
            Assert.Equal(n, tok.EncodeIds(bytes, buffer, o));
            Assert.Equal(tok.Encode(bytes, o).Ids, buffer[..n]);
        }
        Assert.Throws<ArgumentException>(() => tok.EncodeIds(Seq, new int[3]));
    }

    [Theory]
    [InlineData("kmer:6")]
    [InlineData("kmer:3")]
    [InlineData("nt6")]
    [InlineData("char")]
    [InlineData("dnabert2")]
    public void EncodeIdsWithSoftMaskFromBytesGivesTheIdsAndFlagsOfEncode(string spec)
    {
        var tok = DnaTokenizers.Load(spec == "dnabert2" ? TestFiles.Dnabert2Json : spec);
        // Soft-masked real sequence with an N run and IUPAC codes spliced in, plus an all-uppercase piece (no flags).
        var inputs = new[] { Seq, Seq[..40] + "NNNNnnRY" + Seq[40..90], Seq.ToUpperInvariant()[..120], "acgt", "A" };
        Assert.Contains(Seq, char.IsLower);
        var options = new[]
        {
            EncodeOptions.Default,
            new EncodeOptions { MaxLength = 17 },
            new EncodeOptions { MaxLength = 300, PadToMaxLength = true, ReverseComplement = true },
            new EncodeOptions { ReverseComplement = true },
            new EncodeOptions { AddSpecialTokens = false },
        };
        foreach (var seq in inputs)
        foreach (var o in options)
        {
            var expected = tok.Encode(seq, o);
            int max = tok.MaxTokenCount(seq.Length, o);
            var ids = new int[max];
            var soft = Enumerable.Repeat((byte)7, max).ToArray();   // stale contents must be overwritten
            int n = tok.EncodeIds(System.Text.Encoding.ASCII.GetBytes(seq), ids, soft, o);
            Assert.Equal(expected.Ids, ids[..n]);
            Assert.Equal(expected.SoftMasked.Select(b => b ? (byte)1 : (byte)0), soft[..n]);
        }
        Assert.Throws<ArgumentException>(() => tok.EncodeIds("ACGTACGT"u8, new int[100], new byte[1]));
    }

    [Fact]
    public void BatchEncodingKeepsInputOrderInParallel()
    {
        var tok = KmerTokenizer.Dnabert(5);
        var seqs = Enumerable.Range(0, 64).Select(i => Seq[i..(i + 50 + i)]).ToList();
        var batch = tok.EncodeBatch(seqs, maxParallelism: 2);
        for (int i = 0; i < seqs.Count; i++) Assert.Equal(tok.Encode(seqs[i]).Ids, batch[i].Ids);
    }

    [Theory]
    [InlineData("kmer:6")]
    [InlineData("nt6")]
    [InlineData("char")]
    public void MicrosoftTokenizerSurfaceAgreesWithEncode(string spec)
    {
        Tokenizer tok = DnaTokenizers.Load(spec);
        var dna = (DnaTokenizer)tok;
        var e = dna.Encode(Seq);
        Assert.Equal(e.Ids, tok.EncodeToIds(Seq));
        var tokens = tok.EncodeToTokens(Seq, out _);
        Assert.Equal(e.Ids, tokens.Select(t => t.Id));
        Assert.Equal(e.Offsets.Select(o => (o.Start, o.End)), tokens.Select(t => (t.Offset.Start.Value, t.Offset.End.Value)));
        Assert.Equal(dna.Vocabulary[e.Ids[1]], tokens[1].Value);
        Assert.Equal(e.Length, tok.CountTokens(Seq));
        Assert.Equal(Seq.ToUpperInvariant(), tok.Decode(e.Ids));
        Assert.Equal(5, tok.EncodeToIds(Seq, maxTokenCount: 5, out _, out _).Count);
    }
}
