using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Fasta;

public class FaiIndexTests
{
    public static IEnumerable<object[]> Indexable() => DataFixtures.IndexableLayouts.Select(l => new object[] { l });

    [Theory]
    [MemberData(nameof(Indexable))]
    public void Fai_of_small_layouts_equals_samtools(string layout)
    {
        var (fai, gzi) = FaiIndex.Build(DataFixtures.Fasta(layout + ".fa"));
        Assert.Null(gzi);
        Assert.Equal(File.ReadAllText(DataFixtures.Golden("fai", layout + ".fa.fai")), fai.ToText());
    }

    [Theory]
    [MemberData(nameof(Indexable))]
    public void Bgzf_fai_and_gzi_equal_samtools(string layout)
    {
        using var dir = new TempDir("fai");
        var path = dir.File(layout + ".fa.gz");
        File.Copy(DataFixtures.Golden("bgzf", layout + ".fa.gz"), path);
        using (IndexedFasta.Open(path)) { }
        Assert.Equal(File.ReadAllText(DataFixtures.Golden("fai", layout + ".fa.fai")), File.ReadAllText(path + ".fai"));
        Assert.Equal(File.ReadAllBytes(DataFixtures.Golden("bgzf", layout + ".fa.gz.gzi.expected")), File.ReadAllBytes(path + ".gzi"));
    }

    [Theory]
    [InlineData("blank-inside", 5)]
    [InlineData("ragged", 3)]
    public void Layouts_samtools_cannot_index_fail_with_the_line(string layout, int line)
    {
        var e = Assert.Throws<DnaInputException>(() => FaiIndex.Build(DataFixtures.Fasta(layout + ".fa")));
        Assert.Contains("cannot index", e.Message);
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void Plain_gzip_cannot_be_indexed()
    {
        using var dir = new TempDir("fai");
        var gz = DataFixtures.GzipCopy(DataFixtures.Fasta("mixed.fa"), dir);
        var e = Assert.Throws<DnaInputException>(() => IndexedFasta.Open(gz));
        Assert.Contains("bgzip", e.Message);
        Assert.False(File.Exists(gz + ".fai"));
    }

    [Fact]
    public void Read_and_write_round_trip()
    {
        using var dir = new TempDir("fai");
        var golden = DataFixtures.Golden("fai", "mixed.fa.fai");
        var copy = dir.File("x.fai");
        FaiIndex.Read(golden).Write(copy);
        Assert.Equal(File.ReadAllBytes(golden), File.ReadAllBytes(copy));
    }

    [SkippableTheory]
    [MemberData(nameof(DataFixtures.SharedGenomeRows), MemberType = typeof(DataFixtures))]
    public void Fai_of_every_shared_genome_equals_samtools(string genome, string golden)
    {
        var path = TestPaths.Shared("genomes", genome);
        var expected = File.ReadAllText(DataFixtures.Golden("fai", golden + ".fa.fai"));
        if (SequenceInput.Detect(path) == FastaCompression.Gzip)
        {
            // samtools cannot index plain gzip either: both index the decompressed file.
            using var dir = new TempDir("fai");
            var plain = dir.File(golden + ".fa");
            using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress))
            using (var o = File.Create(plain)) gz.CopyTo(o);
            Assert.Equal(expected, FaiIndex.Build(plain).Fai.ToText());
        }
        else
        {
            var (fai, gzi) = FaiIndex.Build(path);
            Assert.Equal(expected, fai.ToText());
            if (gzi is not null)
            {
                using var dir = new TempDir("gzi");
                gzi.Write(dir.File("x.gzi"));
                Assert.Equal(File.ReadAllBytes(DataFixtures.Golden("gzi", golden + ".fa.gz.gzi")), File.ReadAllBytes(dir.File("x.gzi")));
                Assert.Equal(File.ReadAllText(path + ".fai"), fai.ToText());
                // bgzip -i also lists the empty EOF block; reading such a .gzi must work all the same.
                Assert.True(GziIndex.Read(path + ".gzi").Entries.Count >= gzi.Entries.Count);
            }
        }
    }
}
