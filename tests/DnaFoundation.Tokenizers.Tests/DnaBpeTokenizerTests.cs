using System.Text.Json;
using DnaFoundation.TestSupport;
using Microsoft.ML.Tokenizers;

namespace DnaFoundation.Tokenizers.Tests;

public class DnaBpeTokenizerTests
{
    private static List<(string Sequence, int[] Ids)> ReadGolden(string path) =>
        File.ReadLines(path).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(r => (r.GetProperty("sequence").GetString()!, r.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray()))
            .ToList();

    [Fact]
    public void Dnabert2IdsEqualHuggingFacesOnCommittedGoldenSlice()
    {
        var tok = DnaBpeTokenizer.FromHfJson(TestFiles.Dnabert2Json);
        var golden = ReadGolden(TestPaths.Fixture("tokenizers", "dnabert2_golden_prom_core_all_test_first300.jsonl"));
        Assert.Equal(300, golden.Count);
        foreach (var (seq, ids) in golden) Assert.Equal(ids, tok.Encode(seq).Ids);
    }

    [SkippableFact]
    public void Dnabert2IdsEqualHuggingFacesForAll5920Sequences()
    {
        var dir = TestPaths.Shared("tokenizers", "dnabert2");
        var tok = DnaBpeTokenizer.FromHfJson(Path.Combine(dir, "tokenizer.json"));
        var golden = ReadGolden(Path.Combine(dir, "golden_ids_prom_core_all_test.jsonl"));
        Assert.Equal(5920, golden.Count);
        int same = golden.Count(g => g.Ids.AsSpan().SequenceEqual(tok.Encode(g.Sequence).Ids));
        Assert.Equal(5920, same);
    }

    [Fact]
    public void Dnabert2SpecialTokensAndTemplate()
    {
        var tok = DnaBpeTokenizer.FromHfJson(TestFiles.Dnabert2Json);
        Assert.Equal(4096, tok.VocabSize);
        Assert.Equal(4087, tok.Merges.Count);
        Assert.Equal((0, 1, 2, 3, 4), (tok.UnkId, tok.Special.Cls, tok.Special.Sep, tok.PadId, tok.MaskId));
        Assert.Equal([1], tok.Special.Prefix);
        Assert.Equal([2], tok.Special.Suffix);
        Assert.True(tok.IsSpecial(4));
        Assert.False(tok.IsSpecial(5));
    }

    [Fact]
    public void NIsOneUnkPerBaseAndOffsetsTileTheSequence()
    {
        var tok = DnaBpeTokenizer.FromHfJson(TestFiles.Dnabert2Json);
        var seq = RealSequences.SoftMaskedChr2()[990..1600].ToUpperInvariant(); // 10 N, then sequence
        var e = tok.Encode(seq, new EncodeOptions { AddSpecialTokens = false });
        Assert.Equal(Enumerable.Repeat(tok.UnkId, 10), e.Ids[..10]);
        Assert.DoesNotContain(tok.UnkId, e.Ids[10..]);
        int pos = 0;
        foreach (var o in e.Offsets)
        {
            Assert.Equal(pos, o.Start);
            Assert.Equal(tok.Vocabulary[e.Ids[Array.IndexOf(e.Offsets, o)]] is var t && t == "[UNK]" ? 1 : t.Length, o.Length);
            pos = o.End;
        }
        Assert.Equal(seq.Length, pos);
        Assert.Equal(seq, tok.Decode(e.Ids));
    }

    /// <summary>Microsoft.ML.Tokenizers' own BPE, fed the same vocab and merges, as an independent cross-check.</summary>
    internal static BpeTokenizer MicrosoftBpe(string tokenizerJson)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(tokenizerJson));
        var model = doc.RootElement.GetProperty("model");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var merges = model.GetProperty("merges").EnumerateArray()
            .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!).ToList();
        return BpeTokenizer.Create(new BpeOptions(vocab) { Merges = merges, UnknownToken = "[UNK]", PreTokenizer = PreTokenizer.CreateWordOrNonWord() });
    }

    [Fact]
    public void MicrosoftBpeGivesTheSameIdsOnRealSequenceChunks()
    {
        var ours = DnaBpeTokenizer.FromHfJson(TestFiles.Dnabert2Json);
        var ms = MicrosoftBpe(TestFiles.Dnabert2Json);
        var seq = RealSequences.SoftMaskedChr2()[1000..].ToUpperInvariant();
        for (int start = 0; start + 1000 <= seq.Length; start += 1000)
        {
            var chunk = seq.Substring(start, 1000);
            Assert.Equal(ms.EncodeToIds(chunk), ours.Encode(chunk, new EncodeOptions { AddSpecialTokens = false }).Ids);
        }
    }

    [SkippableFact]
    public void MicrosoftBpeGivesTheSameIdsOnTwoMegabasesOfChr20()
    {
        var ours = DnaBpeTokenizer.FromHfJson(TestFiles.Dnabert2Json);
        var ms = MicrosoftBpe(TestFiles.Dnabert2Json);
        var seq = RealSequences.Chr20(30_000_000, 2_000_000);
        var noSpecials = new EncodeOptions { AddSpecialTokens = false };
        for (int start = 0; start + 1000 <= seq.Length; start += 1000)
        {
            var chunk = seq.Substring(start, 1000);
            if (chunk.Contains('N')) continue;
            Assert.Equal(ms.EncodeToIds(chunk), ours.Encode(chunk, noSpecials).Ids);
        }
    }

    [Fact]
    public void SavedTokenizerJsonLoadsBackWithTheSameIds()
    {
        using var dir = new TempDir("bpe");
        var tok = DnaBpeTokenizer.FromHfJson(TestFiles.Dnabert2Json);
        tok.Save(dir.File("tokenizer.json"));
        var back = DnaTokenizers.Load(dir.Path);
        var seq = RealSequences.SoftMaskedChr2();
        Assert.Equal(tok.Encode(seq).Ids, back.Encode(seq).Ids);
        Assert.Equal(tok.Vocabulary.Tokens, back.Vocabulary.Tokens);
    }
}
