using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DnaFoundation.Tokenizers.Tests;

public class ReverseComplementTests
{
    private const string Letters = "ACGTNRYKMSWBDHVacgtnrykmswbdhv";

    private static Arbitrary<string> DnaStrings() =>
        Gen.Elements(Letters.ToCharArray()).ArrayOf().Select(cs => new string(cs)).ToArbitrary();

    [Property]
    public Property ReverseComplementIsAnInvolution() =>
        Prop.ForAll(DnaStrings(), s => DnaAlphabet.ReverseComplement(DnaAlphabet.ReverseComplement(s)) == s);

    [Property]
    public Property ReverseComplementKeepsLengthAndCase() =>
        Prop.ForAll(DnaStrings(), s =>
        {
            var rc = DnaAlphabet.ReverseComplement(s);
            return rc.Length == s.Length && rc.Select(char.IsLower).SequenceEqual(s.Reverse().Select(char.IsLower));
        });

    [Fact]
    public void IupacComplementsFollowTheStandard()
    {
        Assert.Equal("TGCANYRKMSWBDHV", DnaAlphabet.ReverseComplement("BDHVWSKMYRNTGCA")); // R↔Y K↔M B↔V D↔H; S W N self
        Assert.Equal("acgT", DnaAlphabet.ReverseComplement("Acgt"));
    }

    [Fact]
    public void ReverseComplementRejectsNonBases() =>
        Assert.Throws<Core.DnaInputException>(() => DnaAlphabet.ReverseComplement("ACGU"));
}
