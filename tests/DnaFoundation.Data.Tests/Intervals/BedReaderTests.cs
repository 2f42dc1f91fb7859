using System.IO.Compression;
using DnaFoundation.Core;
using DnaFoundation.Data.Intervals;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Intervals;

public class BedReaderTests
{
    private static string Write(TempDir d, string name, string text)
    {
        var p = d.File(name);
        File.WriteAllText(p, text);
        return p;
    }

    [Fact]
    public void Bed_reader_checks_coordinates_and_merges()
    {
        using var d = new TempDir();
        var ok = BedReader.Read(Write(d, "a.bed", "track name=x\nchr1\t10\t20\tpeak\nchr1\t15\t30\nchr1\t40\t50\nchr2\t0\t5\n"));
        Assert.Equal(4, ok.Count);
        var merged = BedReader.Merged(ok, "chr1");
        Assert.Equal([new BedInterval("chr1", 10, 30), new BedInterval("chr1", 40, 50)], merged);
        var e = Assert.Throws<DnaInputException>(() => BedReader.Read(Write(d, "b.bed", "chr1\t10\t20\nchr1\t30\t5\n")));
        Assert.Equal(2, e.Line);
        Assert.Contains("before start", e.Message);
        var dropped = new List<string>();
        Assert.Single(BedReader.Read(d.File("b.bed"), dropped));
        Assert.Single(dropped);
        Assert.Contains("b.bed:2:", dropped[0]);
    }

    [Fact]
    public void Records_stream_names_and_line_numbers_from_plain_and_gzip_files()
    {
        using var d = new TempDir();
        const string text = "browser position chr1:1-100\n# comment\nchr1\t10\t20\tpromoter_a\t500\t+\r\nchr2\t0\t5\n";
        var plain = Write(d, "r.bed", text);
        var gz = d.File("r.bed.gz");
        using (var fs = File.Create(gz))
        using (var z = new GZipStream(fs, CompressionLevel.Fastest))
            z.Write(System.Text.Encoding.ASCII.GetBytes(text));
        foreach (var path in new[] { plain, gz })
        {
            var records = BedReader.Records(path).ToList();
            Assert.Equal(new BedRecord(new BedInterval("chr1", 10, 20), "promoter_a", 3), records[0]);
            Assert.Equal(new BedRecord(new BedInterval("chr2", 0, 5), null, 4), records[1]);
        }
    }

    [Theory]
    [InlineData("chr1 10 20\n", "separated by tabs")]
    [InlineData("chr1\t-1\t20\n", "start '-1'")]
    [InlineData("chr1\t10\tx\n", "end 'x'")]
    [InlineData("\t10\t20\n", "empty chrom")]
    public void A_malformed_line_names_file_and_line(string line, string expected)
    {
        using var d = new TempDir();
        var path = Write(d, "bad.bed", "chr1\t0\t1\n" + line);
        var e = Assert.Throws<DnaInputException>(() => BedReader.Records(path).ToList());
        Assert.Equal(2, e.Line);
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path + ":2: ", e.Message);
    }
}
