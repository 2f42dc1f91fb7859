using DnaFoundation.Core;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Evaluation.Tests.Datasets;

public class ReaderTests
{
    private static string Write(TempDir d, string name, string text)
    {
        var p = d.File(name);
        File.WriteAllText(p, text);
        return p;
    }

    [Fact]
    public void Reads_gue_csv_with_header()
    {
        using var d = new TempDir();
        var rows = LabeledSequenceReader.ReadSingleLabel(Write(d, "train.csv", "sequence,label\nACGTN,0\nacgt,1\n\nGGCC,1\n"));
        Assert.Equal(3, rows.Count);
        Assert.Equal("acgt", rows[1].Sequence);
        Assert.Equal(1, rows[2].Label);
        Assert.Equal(2, LabeledSequenceReader.ClassCount(rows, "train.csv"));
    }

    [Fact]
    public void Reads_tsv_without_header()
    {
        using var d = new TempDir();
        var rows = LabeledSequenceReader.ReadSingleLabel(Write(d, "x.tsv", "ACGT\t2\nTTTT\t0\nCCCC\t1\n"));
        Assert.Equal([2, 0, 1], rows.Select(r => r.Label));
        Assert.Equal(3, LabeledSequenceReader.ClassCount(rows, "x.tsv"));
    }

    [Theory]
    [InlineData("sequence,label\nACGT,0\nACGT,x\n", 3, "not a non-negative integer")]
    [InlineData("sequence,label\nACGT,0,1\n", 2, "sequence-pair")]
    [InlineData("sequence,label\nACGT\n", 2, "expected 2 columns")]
    [InlineData("sequence,label\nAC-GT,1\n", 2, "not a nucleotide letter")]
    [InlineData("sequence,label\n\"ACGT\",1\n", 2, "quoted")]
    [InlineData("sequence,label\n,1\n", 2, "empty sequence")]
    public void Bad_rows_name_file_and_line(string text, int line, string message)
    {
        using var d = new TempDir();
        var path = Write(d, "bad.csv", text);
        var e = Assert.Throws<DnaInputException>(() => LabeledSequenceReader.ReadSingleLabel(path));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Class_labels_must_be_dense()
    {
        using var d = new TempDir();
        var path = Write(d, "gap.csv", "sequence,label\nA,0\nC,2\n");
        var e = Assert.Throws<DnaInputException>(() => LabeledSequenceReader.ClassCount(LabeledSequenceReader.ReadSingleLabel(path), path));
        Assert.Contains("0..2", e.Message);
    }

    [Fact]
    public void Reads_multilabel_table()
    {
        using var d = new TempDir();
        var t = LabeledSequenceReader.ReadMultiLabel(Write(d, "m.csv", "sequence,CTCF,DNase\nACGT,1,0\nTTTT,0,0\n"));
        Assert.Equal(["CTCF", "DNase"], t.LabelNames);
        Assert.Equal(new byte[] { 1, 0 }, t.Rows[0].Labels);
        var bad = Write(d, "b.csv", "sequence,CTCF,DNase\nACGT,1,2\n");
        var e = Assert.Throws<DnaInputException>(() => LabeledSequenceReader.ReadMultiLabel(bad));
        Assert.Equal(2, e.Line);
        Assert.Contains("'DNase'", e.Message);
    }
}
