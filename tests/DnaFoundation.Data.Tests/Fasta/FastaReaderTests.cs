using System.Globalization;
using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Fasta;

public class FastaReaderTests
{
    public static IEnumerable<object[]> Layouts() => DataFixtures.SmallLayouts.Select(l => new object[] { l });

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Small_layouts_read_as_seqkit_reads_them(string layout)
    {
        using var reader = FastaReader.Open(DataFixtures.Fasta(layout + ".fa"));
        Assert.Equal(DataFixtures.SeqkitSequences(layout), DataFixtures.ReadAll(reader));
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Gzip_gives_the_same_records_as_plain(string layout)
    {
        using var dir = new TempDir("fa");
        var gz = DataFixtures.GzipCopy(DataFixtures.Fasta(layout + ".fa"), dir);
        using var reader = FastaReader.Open(gz);
        Assert.Equal(FastaCompression.Gzip, reader.Compression);
        Assert.Equal(DataFixtures.SeqkitSequences(layout), DataFixtures.ReadAll(reader, chunk: 1000));
    }

    [Theory]
    [InlineData("mixed")]
    [InlineData("crlf")]
    [InlineData("no-final-newline")]
    public void Bgzf_with_many_tiny_blocks_gives_the_same_records(string layout)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            using var reader = FastaReader.Open(DataFixtures.Golden("bgzf", layout + ".fa.gz"), threads);
            Assert.Equal(FastaCompression.Bgzf, reader.Compression);
            Assert.Equal(DataFixtures.SeqkitSequences(layout), DataFixtures.ReadAll(reader, chunk: 13));
        }
    }

    [Fact]
    public void Soft_masked_case_and_descriptions_are_kept()
    {
        using var reader = FastaReader.Open(DataFixtures.Fasta("mixed.fa"));
        var r1 = reader.NextRecord()!;
        Assert.Equal(("r1", "first record, soft-masked and N run"), (r1.Name, r1.Description));
        var bases = new byte[1000];
        int n = reader.Read(bases);
        Assert.Equal(270, n);
        Assert.Equal(80, bases.Take(n).Count(NucleotideAlphabet.IsSoftMasked));
        Assert.Equal(37, bases.Take(n).Count(b => b == 'N'));
        var r2 = reader.NextRecord()!;
        Assert.Equal(("r2", "description after a tab"), (r2.Name, r2.Description));
    }

    [Fact]
    public void Reverse_complement_keeps_case_and_maps_every_iupac_code()
    {
        var s = Encoding.ASCII.GetBytes("ACGTURYSWKMBDHVNacgtn");
        NucleotideAlphabet.ReverseComplementInPlace(s);
        Assert.Equal("nacgtNBDHVKMWSRYAACGT", Encoding.ASCII.GetString(s));
    }

    [Theory]
    [InlineData(">a\nACGT\n>a\nAC\n", "duplicate record name 'a'", 3)]
    [InlineData(">a\n>b\nAC\n", "empty record 'a'", 1)]
    [InlineData(">a\nAC\n>b\n", "empty record 'b'", 3)]
    [InlineData("ACGT\n", "not a FASTA file", 1)]
    [InlineData(">a\nACGT\nACXT\n", "invalid character 'X'", 3)]
    [InlineData(">a\nAC-T\n", "invalid character '-'", 2)]
    [InlineData(">\nACGT\n", "no sequence name", 1)]
    public void Bad_input_names_the_line(string text, string message, int line)
    {
        using var reader = new FastaReader(new MemoryStream(Encoding.ASCII.GetBytes(text)), "mem.fa");
        var e = Assert.Throws<DnaInputException>(() => DataFixtures.ReadAll(reader));
        Assert.Contains(message, e.Message);
        Assert.Equal("mem.fa", e.File);
        Assert.Equal(line, e.Line);
        if (message.StartsWith("invalid", StringComparison.Ordinal)) Assert.NotNull(e.ByteOffset);
    }

    [SkippableFact]
    public void Every_shared_genome_has_samtools_and_seqkit_goldens()
    {
        // The reference comparisons run over DataFixtures.SharedGenomes: a genome added to ../shared/data must be
        // added there too (with goldens from tests/fixtures/data/make-goldens.sh), or it would go unchecked.
        var root = TestPaths.Shared("genomes");
        var present = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".fa", StringComparison.Ordinal) || f.EndsWith(".fa.gz", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order(StringComparer.Ordinal);
        Assert.Equal(present, DataFixtures.SharedGenomes.Select(g => g.Path).Order(StringComparer.Ordinal));
        foreach (var (_, golden) in DataFixtures.SharedGenomes)
        {
            Assert.True(File.Exists(DataFixtures.Golden("fx2tab", golden + ".tsv")), golden);
            Assert.True(File.Exists(DataFixtures.Golden("fai", golden + ".fa.fai")), golden);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(DataFixtures.SharedGenomeRows), MemberType = typeof(DataFixtures))]
    public void Names_lengths_and_gc_equal_seqkit_fx2tab(string genome, string golden)
    {
        var path = TestPaths.Shared("genomes", genome);
        var expected = File.ReadAllLines(DataFixtures.Golden("fx2tab", golden + ".tsv")).Where(l => l.Length > 0).ToList();
        var actual = new List<string>();
        using var reader = FastaReader.Open(path);
        var buf = new byte[1 << 16];
        while (reader.NextRecord() is { } rec)
        {
            long length = 0, gc = 0;
            int n;
            while ((n = reader.Read(buf)) > 0)
            {
                length += n;
                foreach (var b in buf.AsSpan(0, n))
                    if ((b | 0x20) is (byte)'g' or (byte)'c') gc++;
            }
            actual.Add(string.Create(CultureInfo.InvariantCulture, $"{rec.Header}\t{length}\t{100.0 * gc / length:F2}"));
        }
        Assert.Equal(expected, actual);
    }
}
