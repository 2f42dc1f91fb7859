using DnaFoundation.Core;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Tokenizers.Tests;

/// <summary>
/// Tokenizers found in a published model directory without flags (fixtures of tests/reference/ref_published.py,
/// tokenizer files as the families ship them): ids checked against the line numbers of the published vocab.txt.
/// </summary>
public sealed class TokenizerDirectoryTests
{
    private static string Dir(string family) => TestPaths.Fixture("model", "published", family);

    private static int Line(string dir, string token) => Array.IndexOf(File.ReadAllLines(Path.Combine(dir, "vocab.txt")), token);

    [Fact]
    public void Dnabert_vocab_txt_with_its_special_tokens_map_and_max_len()
    {
        var dir = Dir("dnabert6");
        var t = Assert.IsType<KmerTokenizer>(DnaTokenizers.Load(dir));
        Assert.Equal(6, t.K);
        Assert.Equal((0, 1, 2, 3, 4), (t.PadId, t.UnkId, t.Special.Cls!.Value, t.Special.Sep!.Value, t.MaskId));
        Assert.Equal(512, t.ModelMaxLength);                           // transformers-2.x "max_len"
        var ids = t.Encode("ACGTACGT").Ids;
        Assert.Equal([2, Line(dir, "ACGTAC"), Line(dir, "CGTACG"), Line(dir, "GTACGT"), 3], ids);
    }

    [Fact]
    public void Nt_v2_esm_tokenizer_cls_in_front_no_eos_and_model_max_length()
    {
        var dir = Dir("nt-v2");
        var t = Assert.IsType<NtKmerTokenizer>(DnaTokenizers.Load(dir));
        Assert.Equal(2048, t.ModelMaxLength);
        Assert.Equal([3, Line(dir, "ATCGAT"), Line(dir, "C"), Line(dir, "G")], t.Encode("ATCGATCG").Ids);
        Assert.Equal(4106, t.HighestEmittedId);
    }

    [Fact]
    public void Nt_v1_vocabulary_has_eos_and_bos_last_and_never_emits_them()
    {
        var dir = Dir("nt-v1");
        var t = Assert.IsType<NtKmerTokenizer>(DnaTokenizers.Load(dir));
        Assert.Equal(4107, t.VocabSize);
        Assert.Equal(4104, t.HighestEmittedId);                        // N: below the model's 4,105 embedding rows
        Assert.Equal(1000, t.ModelMaxLength);
        Assert.Equal([3, Line(dir, "ATCGAT"), Line(dir, "N"), Line(dir, "A")], t.Encode("ATCGATNA").Ids);
    }

    [Fact]
    public void Bpe_tokenizer_json_with_tokenizer_config()
    {
        var t = Assert.IsType<DnaBpeTokenizer>(DnaTokenizers.Load(Dir("dnabert2")));
        Assert.Equal(512, t.ModelMaxLength);
        Assert.Equal((3, 4, 0), (t.PadId, t.MaskId, t.UnkId));
        var gena = DnaTokenizers.Load(Dir("gena-lm"));
        Assert.Equal((3, 4, 0, 1, 2), (gena.PadId, gena.MaskId, gena.UnkId, gena.Special.Prefix[0], gena.Special.Suffix[0]));
        Assert.Null(gena.ModelMaxLength);
    }

    [Fact]
    public void Tokenizer_files_decide_the_special_tokens()
    {
        using var tmp = new TempDir("tokfiles");
        File.Copy(Path.Combine(Dir("nt-v2"), "vocab.txt"), tmp.File("vocab.txt"));
        // An EsmTokenizer whose config names an eos token appends it, as HF's build_inputs_with_special_tokens does.
        File.WriteAllText(tmp.File("tokenizer_config.json"), """{"tokenizer_class": "EsmTokenizer", "eos_token": "<eos>", "model_max_length": 1e30}""");
        var t = DnaTokenizers.Load(tmp.Path);
        Assert.Equal([3, Line(tmp.Path, "ATCGAT"), 4], t.Encode("ATCGAT").Ids);
        Assert.Null(t.ModelMaxLength);                                 // transformers' "no limit"
        File.WriteAllText(tmp.File("special_tokens_map.json"), """{"pad_token": {"content": "<padding>"}}""");
        var e = Assert.Throws<DnaInputException>(() => DnaTokenizers.Load(tmp.Path));
        Assert.Contains("pad_token '<padding>', which is not in the vocabulary", e.Message);
    }
}
