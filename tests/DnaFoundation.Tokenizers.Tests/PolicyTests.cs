using DnaFoundation.Core;

namespace DnaFoundation.Tokenizers.Tests;

public class PolicyTests
{
    public static TheoryData<string> Specs => new() { "kmer:6", "nt6", "char", TestFiles.Dnabert2Json };

    [Theory]
    [MemberData(nameof(Specs))]
    public void SoftMaskedBasesGetUppercaseIdsAndAFlagOnRealSequence(string spec)
    {
        var seq = RealSequences.SoftMaskedChr2();
        var tok = DnaTokenizers.Load(spec);
        var soft = tok.Encode(seq);
        var upper = tok.Encode(seq.ToUpperInvariant());
        Assert.Equal(upper.Ids, soft.Ids);
        Assert.Equal(upper.Offsets, soft.Offsets);
        Assert.DoesNotContain(true, upper.SoftMasked);
        int flagged = 0;
        for (int t = 0; t < soft.Length; t++)
        {
            var span = soft.Offsets[t];
            bool anyLower = false;
            for (int i = span.Start; i < span.End; i++) anyLower |= char.IsLower(seq[i]);
            Assert.Equal(anyLower, soft.SoftMasked[t]);
            if (anyLower) flagged++;
        }
        Assert.True(flagged > soft.Length / 4, $"only {flagged} of {soft.Length} tokens soft-masked");
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void IupacCodesReadAsNUnderMapToN(string spec)
    {
        var tok = DnaTokenizers.Load(spec);
        var seq = RealSequences.SoftMaskedChr2()[2000..2400].ToUpperInvariant();
        var iupac = seq[..100] + "RYKMSWBDHV" + seq[110..];
        var n = seq[..100] + "NNNNNNNNNN" + seq[110..];
        Assert.Equal(tok.Encode(n).Ids, tok.Encode(iupac).Ids);
        Assert.Equal(tok.Encode(n).Ids, tok.Encode(iupac.ToLowerInvariant()).Ids);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void AmbiguousBasesAreRejectedUnderRejectNamingSequenceAndPosition(string spec)
    {
        var tok = DnaTokenizers.Load(spec, AmbiguousBasePolicy.Reject);
        Assert.Equal(AmbiguousBasePolicy.Reject, tok.AmbiguousBases);
        var e = Assert.Throws<DnaInputException>(() => tok.Encode("ACGTACGTAY", new EncodeOptions { SequenceName = "chr2", Source = "in.fa" }));
        Assert.Contains("in.fa", e.Message);
        Assert.Contains("sequence 'chr2' position 10", e.Message);
        Assert.Contains("'Y'", e.Message);
        Assert.Throws<DnaInputException>(() => tok.Encode("ACGTnACG"));
    }

    [Theory]
    [InlineData("ACGT>ACG", 5, "'>'")]
    [InlineData("ACGT ACG", 5, "' '")]
    [InlineData("AC1GTACG", 3, "'1'")]
    [InlineData("ACGTAC-G", 7, "'-'")]
    [InlineData("ACGUACGT", 4, "'U'")]
    [InlineData("ACGTACGé", 8, "U+00E9")]
    [InlineData("ACG\tACG", 4, "U+0009")]
    public void InvalidCharactersAreErrorsNamingSequenceAndPosition(string seq, int position, string shown)
    {
        foreach (var spec in new[] { "kmer:3", "nt6", "char", TestFiles.Dnabert2Json })
        {
            var e = Assert.Throws<DnaInputException>(() => DnaTokenizers.Load(spec).Encode(seq, new EncodeOptions { SequenceName = "seq7" }));
            Assert.Contains($"sequence 'seq7' position {position}", e.Message);
            Assert.Contains(shown, e.Message);
        }
    }
}
