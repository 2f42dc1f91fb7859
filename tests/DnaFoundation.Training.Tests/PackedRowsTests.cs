using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Loading;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Data;
using Serilog.Core;
using Serilog.Events;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// data.pack: rows of exactly max_length tokens cut from the token stream with DNABERT-2's published BPE (no
/// padding, no truncation, the [CLS] … [SEP] frame, the genome's bases in order on either strand); interrupted and
/// resumed runs bit-identical for each data source; metrics.jsonl's pad_fraction and truncated_rows, and the warning
/// when windows were cut at max_length.
/// </summary>
[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class PackedRowsTests
{
    private static string Bpe => TestPaths.Fixture("tokenizers", "dnabert2_tokenizer.json");

    private static GenomeRegions Load(params string[] regions)
    {
        using var fasta = IndexedFasta.Open(SampleCorpus.SampleGenome, writeMissingIndex: false);
        return GenomeRegions.Load(fasta, regions);
    }

    private static List<long[]> Rows(TrainingBatch b)
    {
        var ids = b.InputIds.data<long>().ToArray();
        int t = (int)b.InputIds.shape[1];
        return Enumerable.Range(0, (int)b.InputIds.shape[0]).Select(r => ids[(r * t)..((r + 1) * t)]).ToList();
    }

    [Fact]
    public void Genome_rows_are_max_length_tokens_of_the_genome_in_the_frame_on_either_strand_with_nothing_padded_or_cut()
    {
        var regions = Load("20:9000001-9200000");
        var genome = SampleCorpus.Bases(9_000_000, 9_200_000);
        var reverse = SampleCorpus.ReverseComplement(genome);
        var tok = DnaTokenizers.Load(Bpe);
        var cfg = new GenomeDataConfig { Genome = SampleCorpus.SampleGenome, WindowBp = 300, Pack = true };
        using var train = new GenomeWindowSource(regions, tok, cfg, 16, 64, seed: 3, sequential: false);
        int forward = 0, rc = 0;
        for (int i = 0; i < 4; i++)
        {
            using var b = train.Next();
            Assert.Equal(16 * 64, b.Tokens);
            Assert.Equal(0, b.PaddingTokens);
            Assert.Equal(0, b.TruncatedRows);
            Assert.True(b.AttentionMask.eq(1).all().item<bool>());
            foreach (var row in Rows(b))
            {
                Assert.Equal((tok.Special.Cls!.Value, tok.Special.Sep!.Value), ((int)row[0], (int)row[^1]));
                var bases = tok.Decode(row[1..^1].Select(i => (int)i));
                Assert.InRange(bases.Length, 62, 62 * 16);
                if (genome.Contains(bases, StringComparison.Ordinal)) forward++;
                else if (reverse.Contains(bases, StringComparison.Ordinal)) rc++;
                else Assert.Fail($"row '{bases[..20]}…' is not a stretch of the region on either strand");
            }
        }
        Assert.True(forward > 0 && rc > 0, $"{forward} forward and {rc} reverse rows");

        // Validation: tile j reads from base 300·j of the region, forward, until its 62 tokens are full.
        using var validation = new GenomeWindowSource(regions, tok, cfg, 2, 64, seed: 0, sequential: true);
        using var v = validation.Next();
        var tiles = Rows(v);
        for (int j = 0; j < 2; j++)
        {
            var bases = tok.Decode(tiles[j][1..^1].Select(i => (int)i));
            Assert.Equal(genome.Substring(300 * j, bases.Length), bases);
        }

        // The saved counter replays the same rows.
        var state = train.SaveState();
        using var expected = train.Next();
        using var again = new GenomeWindowSource(regions, tok, cfg, 16, 64, seed: 3, sequential: false);
        again.RestoreState(state);
        using var replay = again.Next();
        Assert.True(expected.InputIds.equal(replay.InputIds).all().item<bool>());
    }

    [Fact]
    public void Windows_whose_tokens_exceed_max_length_are_counted_as_truncated_and_keep_their_sep()
    {
        var tok = DnaTokenizers.Load(Bpe);
        // 600 bp of chr20 are about 125 DNABERT-2 tokens: every window is cut at 64.
        var cfg = new GenomeDataConfig { Genome = SampleCorpus.SampleGenome, WindowBp = 600 };
        using var source = new GenomeWindowSource(Load("20:9000001-9200000"), tok, cfg, 8, 64, seed: 1, sequential: false);
        using var b = source.Next();
        Assert.Equal(8, b.TruncatedRows);
        Assert.All(Rows(b), r => Assert.Equal(tok.Special.Sep!.Value, (int)r[^1]));
    }

    [Fact]
    public void Packed_rows_carry_region_labels_by_token_offset_and_chromatin_labels_of_the_covered_bases()
    {
        using var dir = new TempDir("packed-bed");
        File.WriteAllText(dir.File("promoter.bed"), "chr20\t9000010\t9000020\n");
        File.WriteAllText(dir.File("cpg.bed"), "20\t9000015\t9000040\n");
        // The row covers 9,000,000-9,000,100 (100 single-base tokens + [SEP]): its central 200-bp bin is 8,999,950-9,000,150.
        File.WriteAllText(dir.File("peak_yes.bed"), "chr20\t9000000\t9000120\n");
        File.WriteAllText(dir.File("peak_no.bed"), "chr20\t9000200\t9000300\n");
        var tok = DnaTokenizers.Load("char");
        var cfg = new GenomeDataConfig { Genome = SampleCorpus.SampleGenome, WindowBp = 400, ReverseComplement = false, Pack = true };
        var regionBeds = new[] { BedLabels.Read(dir.File("promoter.bed")), BedLabels.Read(dir.File("cpg.bed")) };
        var chromBeds = new[] { BedLabels.Read(dir.File("peak_yes.bed")), BedLabels.Read(dir.File("peak_no.bed")) };
        using var source = new GenomeWindowSource(Load("20:9000001-9000400"), tok, cfg, 1, 101, 0, sequential: true, regionBeds, chromBeds);
        using var b = source.Next();
        Assert.Equal(101, b.Tokens);
        var labels = b.RegionLabels!.data<long>().ToArray();
        Assert.Equal(new long[] { 0, 1, 1, 2, 2, 0, 0, -100 }, new[] { 9, 10, 17, 20, 39, 40, 99, 100 }.Select(i => labels[i]));
        Assert.Equal(new[] { 1f, 0f }, b.ChromatinLabels!.data<float>().ToArray());
    }

    // ---- whole runs ---------------------------------------------------------------------------------------------

    private static readonly (long, long) ATrain = (9_000_000, 9_300_000), AVal = (10_800_000, 10_850_000);
    private static readonly (long, long) BTrain = (9_500_000, 9_800_000), BVal = (10_900_000, 10_950_000);

    /// <summary>tiny.json with DNABERT-2's BPE, whole-token masking and packed 64-token rows, on the source <paramref name="kind"/>.</summary>
    private static TrainerConfig PackedConfig(string kind, TempDir corpus, params string[] extra)
    {
        string[] bpe = [$"tokenizer={Bpe}", "masking.strategy=token", "data.pack=true", "data.window_bp=300", "max_steps=6", "checkpoint_every=3"];
        string[] notGenome = ["data.genome=", "data.train_regions=[]", "data.validation_regions=[]"];
        string Manifest() => SampleCorpus.WriteManifest(corpus.Path,
            ("human_a", 3.0, "a_train", SampleCorpus.Bases(ATrain.Item1, ATrain.Item2), "a_val", SampleCorpus.Bases(AVal.Item1, AVal.Item2)),
            ("human_b", 1.0, "b_train", SampleCorpus.Bases(BTrain.Item1, BTrain.Item2).ToLowerInvariant(), "b_val", SampleCorpus.Bases(BVal.Item1, BVal.Item2)));
        return kind switch
        {
            "genome" => TinyRun.Config([.. bpe, .. extra]),
            "manifest" => TinyRun.Config([.. bpe, .. notGenome, $"data.manifest={Manifest()}", .. extra]),
            // Id shards of 1,000-bp windows (about 210 tokens): each gives three rows of 62 tokens, rarely four.
            _ => TinyRun.Config([.. bpe, .. notGenome, $"data.shards={Shards(Manifest(), corpus)}", "data.shuffle_chunks=2", .. extra]),
        };
    }

    private static string Shards(string manifest, TempDir corpus)
    {
        var dir = Path.Combine(corpus.Path, "shards");
        new ShardBuilder(GenomeManifest.Load(manifest), new ShardBuildOptions(dir, new WindowOptions(1000), Bpe, RowsPerShard: 16, Threads: 1))
            .RunAsync().GetAwaiter().GetResult();
        return dir;
    }

    [Theory]
    [InlineData("genome")]
    [InlineData("shards")]
    [InlineData("manifest")]
    public void A_packed_run_interrupted_and_resumed_ends_bit_identical_and_reports_no_padding_or_truncation(string kind)
    {
        using var corpus = new TempDir("packed-corpus");
        var cfg = PackedConfig(kind, corpus);
        using var straight = new TempDir("packed-straight");
        using var broken = new TempDir("packed-broken");
        TinyRun.Run(straight.Path, cfg);
        using var cts = new CancellationTokenSource();
        Assert.Equal(TrainingStatus.Interrupted, TinyRun.Run(broken.Path, cfg, new TrainerHooks { AfterStep = (s, _) => { if (s == 3) cts.Cancel(); } }, cancel: cts.Token).Status);
        var second = TinyRun.Run(broken.Path, cfg, resume: "auto");
        Assert.Equal(TrainingStatus.Completed, second.Status);

        Assert.Equal(TinyRun.FinalWeights(straight.Path), TinyRun.FinalWeights(broken.Path));
        var lines = TinyRun.Metrics(straight.Path, "train");
        Assert.Equal(lines.Select(o => o["loss"]!.GetValue<double>()), TinyRun.Metrics(broken.Path, "train").Select(o => o["loss"]!.GetValue<double>()));
        Assert.Equal(6 * 16 * 64, second.TokensSeen);                    // every slot a token
        Assert.All(lines, l => Assert.Equal((0.0, 0L), (l["pad_fraction"]!.GetValue<double>(), l["truncated_rows"]!.GetValue<long>())));
        if (kind == "shards")
        {
            var state = TrainerState.Read(Path.Combine(broken.Path, "checkpoints", "step-3", TrainerState.FileName));
            var loader = LoaderState.FromJson(state.RankState.Loader!["loader"]!.ToJsonString());
            Assert.Equal(6, loader.Batches);
        }
    }

    [Fact]
    public void Metrics_record_the_padding_fraction_and_truncated_rows_per_logged_interval_and_a_warning_names_the_remedy()
    {
        // kmer:6 windows of 67 bp are 64 tokens: in rows of 72, 8 of every 72 slots are padding.
        using (var dir = new TempDir("padded"))
        {
            TinyRun.Run(dir.Path, TinyRun.Config("max_length=72", "max_steps=2", "checkpoint_every=100"));
            Assert.All(TinyRun.Metrics(dir.Path, "train"), l =>
            {
                Assert.Equal(8.0 / 72, l["pad_fraction"]!.GetValue<double>(), 12);
                Assert.Equal(0, l["truncated_rows"]!.GetValue<long>());
            });
        }
        // 600-bp windows with DNABERT-2's BPE are about 125 tokens: cut at 64, all 16 rows of each step (logged every step).
        using (var dir = new TempDir("truncated"))
        {
            var events = new List<LogEvent>();
            using var log = new Serilog.LoggerConfiguration().WriteTo.Sink(new ListSink(events)).CreateLogger();
            var cfg = TinyRun.Config($"tokenizer={Bpe}", "masking.strategy=token", "data.window_bp=600", "max_steps=2", "checkpoint_every=100");
            Pretraining.Run(cfg, new PretrainRequest(dir.Path, null, Path.GetDirectoryName(TinyRun.ConfigPath), DeviceChoice.Parse("cpu", 1)), log.ToLibraryLogger(), null, default);
            Assert.All(TinyRun.Metrics(dir.Path, "train"), l =>
            {
                Assert.Equal(16, l["truncated_rows"]!.GetValue<long>());
                Assert.Equal(0.0, l["pad_fraction"]!.GetValue<double>());
            });
            var warnings = events.Where(e => e.Level == LogEventLevel.Warning).Select(e => e.RenderMessage()).ToList();
            Assert.Single(warnings, w => w.Contains("16 rows of the steps up to 1 were longer than max_length (64 tokens)") && w.Contains("data.pack=true"));
            Assert.Single(warnings, w => w.Contains("32 rows were truncated"));
        }
    }

    private sealed class ListSink(List<LogEvent> events) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (events) events.Add(logEvent);
        }
    }
}
