using DnaFoundation.Data.Fasta;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Data;

namespace DnaFoundation.Training.Tests;

public class GenomeWindowSourceTests
{
    private static string SampleGenome => Path.Combine(TestPaths.RepoRoot, "samples", "genome", "GRCh37_chr20_sample.fa.gz");

    private static GenomeRegions Load(params string[] regions)
    {
        using var fasta = IndexedFasta.Open(SampleGenome, writeMissingIndex: false);
        return GenomeRegions.Load(fasta, regions);
    }

    [Fact]
    public void Restoring_the_saved_state_replays_the_same_windows()
    {
        var regions = Load("20:9000001-9500000");
        var tok = DnaTokenizers.Load("kmer:6");
        var cfg = new GenomeDataConfig { Genome = SampleGenome, WindowBp = 131 };
        using var a = new GenomeWindowSource(regions, tok, cfg, 4, 128, seed: 1, sequential: false);
        a.Next();
        var state = a.SaveState();
        using var expected = a.Next();
        using var b = new GenomeWindowSource(regions, tok, cfg, 4, 128, seed: 1, sequential: false);
        b.RestoreState(state);
        using var replay = b.Next();
        Assert.True(expected.InputIds.equal(replay.InputIds).all().item<bool>());
        Assert.Equal(expected.Tokens, replay.Tokens);
        Assert.Equal(4 * 128, expected.Tokens); // 131 bp → 126 6-mers + [CLS] + [SEP]
    }

    [Fact]
    public void Ranks_draw_disjoint_interleaved_windows_and_validation_tiles_are_fixed()
    {
        var regions = Load("20:9000001-9100000");
        var tok = DnaTokenizers.Load("char");
        var cfg = new GenomeDataConfig { Genome = SampleGenome, WindowBp = 64, ReverseComplement = false };
        using var single = new GenomeWindowSource(regions, tok, cfg, 2, 66, seed: 5, sequential: false);
        using var rank1 = new GenomeWindowSource(regions, tok, cfg, 1, 66, seed: 5, sequential: false, rank: 1, world: 2);
        using var both = single.Next();
        using var second = rank1.Next();
        Assert.True(both.InputIds[1].equal(second.InputIds[0]).all().item<bool>()); // window 1 of the stream is rank 1's first

        using var v1 = new GenomeWindowSource(regions, tok, cfg, 3, 66, seed: 0, sequential: true);
        using var v2 = new GenomeWindowSource(regions, tok, cfg, 3, 66, seed: 99, sequential: true);
        using var t1 = v1.Next();
        using var t2 = v2.Next();
        Assert.True(t1.InputIds.equal(t2.InputIds).all().item<bool>());
        // The first tile is the region's first 64 bases, read left to right.
        using var fasta = IndexedFasta.Open(SampleGenome, writeMissingIndex: false);
        var bases = System.Text.Encoding.ASCII.GetString(fasta.Fetch("20", 9_000_000, 9_000_064));
        var expected = tok.Encode(bases).Ids;               // 64 bases then [SEP] (HyenaDNA's template), then padding
        Assert.Equal(expected.Select(i => (long)i), t1.InputIds[0].data<long>().ToArray().Take(expected.Length));
        Assert.Equal(tok.PadId, t1.InputIds[0, 65].item<long>());
    }

    [Fact]
    public void Region_and_chromatin_labels_follow_the_BED_intervals()
    {
        using var dir = new TempDir("bed");
        // Promoter over bases 9,000,010-9,000,019 (0-based half-open), CpG island over 9,000,015-9,000,039.
        File.WriteAllText(dir.File("promoter.bed"), "chr20\t9000010\t9000020\n");
        File.WriteAllText(dir.File("cpg.bed"), "20\t9000015\t9000040\n");
        // A peak covering 120 of the central 200 bp of the window [9,000,000, 9,000,400) → positive; one covering 50 → negative.
        File.WriteAllText(dir.File("peak_yes.bed"), "chr20\t9000080\t9000220\n");
        File.WriteAllText(dir.File("peak_no.bed"), "chr20\t9000250\t9000300\n");
        var regions = Load("20:9000001-9000400");
        var tok = DnaTokenizers.Load("char");
        var cfg = new GenomeDataConfig { Genome = SampleGenome, WindowBp = 400, ReverseComplement = false };
        var regionBeds = new[] { BedLabels.Read(dir.File("promoter.bed")), BedLabels.Read(dir.File("cpg.bed")) };
        var chromBeds = new[] { BedLabels.Read(dir.File("peak_yes.bed")), BedLabels.Read(dir.File("peak_no.bed")) };
        using var source = new GenomeWindowSource(regions, tok, cfg, 1, 402, 0, sequential: true, regionBeds, chromBeds);
        using var b = source.Next();
        var labels = b.RegionLabels!.data<long>().ToArray();
        // Char tokenizer: token i is base i, then [SEP] and padding, which carry no label.
        Assert.Equal(0, labels[9]);
        Assert.Equal(1, labels[10]);
        Assert.Equal(1, labels[17]);                       // promoter listed first wins over the CpG island
        Assert.Equal(2, labels[20]);
        Assert.Equal(2, labels[39]);
        Assert.Equal(0, labels[40]);
        Assert.Equal(-100, labels[400]);
        Assert.Equal(-100, labels[401]);
        Assert.Equal(new[] { 1f, 0f }, b.ChromatinLabels!.data<float>().ToArray());
    }

    [Fact]
    public void Bed_lines_that_are_not_intervals_are_reported_with_file_and_line()
    {
        using var dir = new TempDir("bed");
        File.WriteAllText(dir.File("bad.bed"), "chr20\t10\t20\nchr20\tten\t20\n");
        var e = Assert.Throws<Core.DnaInputException>(() => BedLabels.Read(dir.File("bad.bed")));
        Assert.Equal(2, e.Line);
        var widened = BedLabels.Read(WriteTss(dir), minWidth: 500);
        Assert.Equal(500, widened.Coverage("20", 0, 10_000));
    }

    private static string WriteTss(TempDir dir)
    {
        File.WriteAllText(dir.File("tss.bed"), "chr20\t5000\t5001\n");
        return dir.File("tss.bed");
    }
}
