using System.Text.Json;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Tokenizers.Tests;

/// <summary>A vocabulary trained and written by us, loaded by Hugging Face's tokenizer: ids must agree on real sequence.</summary>
public class TrainedVocabularyGoldenTests
{
    private static string Dir => TestPaths.Fixture("tokenizers", "trained_chr20_bpe");

    [Fact]
    public void OurIdsEqualHuggingFacesForOurTrainedVocabulary()
    {
        var tok = DnaTokenizers.Load(Path.Combine(Dir, "tokenizer.json"));
        Assert.Equal(4096, tok.VocabSize);
        int rows = 0, softBases = 0, nBases = 0;
        foreach (var line in File.ReadLines(Path.Combine(Dir, "golden.jsonl")))
        {
            var row = JsonDocument.Parse(line).RootElement;
            var seq = row.GetProperty("sequence").GetString()!;
            var expected = row.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            // Hugging Face was given the upper-cased text; we read soft-masked bases as bases, so the raw text must agree.
            Assert.Equal(expected, tok.Encode(seq, new EncodeOptions { SequenceName = $"{row.GetProperty("source")}:{row.GetProperty("start")}" }).Ids);
            rows++;
            softBases += seq.Count(char.IsLower);
            nBases += seq.Count(c => c == 'N');
        }
        Assert.Equal(246, rows);
        Assert.True(softBases > 10_000 && nBases > 100, "golden must exercise soft-masking and N");
    }

    [Fact]
    public void TrainedVocabularyStartsWithSpecialTokensThenBases()
    {
        var tok = DnaBpeTokenizer.FromHfJson(Path.Combine(Dir, "tokenizer.json"));
        Assert.Equal(["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "A", "C", "G", "T"], tok.Vocabulary.Tokens.Take(9));
        Assert.Equal(4087, tok.Merges.Count);
        Assert.Equal((0, 3, 4), (tok.UnkId, tok.PadId, tok.MaskId));
    }
}
