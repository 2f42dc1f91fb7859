using System.Text.Json;
using DnaFoundation.Core;
using DnaFoundation.Data.Loading;
using DnaFoundation.TestSupport;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Data;
using DnaFoundation.Training.Distributed;
using TorchSharp;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// data.shards and data.manifest: the streams the trainer reads, and interrupt + resume ending bit-identical to a
/// straight run (the loader's position is in the checkpoint). Corpora are cut from the shipped chr20 sample.
/// </summary>
[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class DataSourceTests
{
    // Real chr20 slices (0-based): two training and two validation contigs.
    private static readonly (long, long) ATrain = (9_000_000, 9_300_000), AVal = (10_800_000, 10_850_000);
    private static readonly (long, long) BTrain = (9_500_000, 9_800_000), BVal = (10_900_000, 10_950_000);

    private static string[] FromGenomeTo(string key, string value) =>
        ["data.genome=", "data.train_regions=[]", "data.validation_regions=[]", $"{key}={value}"];

    [Fact]
    public void Exactly_one_data_source_must_be_given_and_the_error_names_the_keys()
    {
        var both = Assert.Throws<DnaInputException>(() => TinyRun.Config("data.shards=somewhere"));
        Assert.Contains("'data.genome', 'data.shards'", both.Message);
        Assert.Contains("exactly one", both.Message);
        var none = Assert.Throws<DnaInputException>(() => TinyRun.Config("data.genome=", "data.train_regions=[]", "data.validation_regions=[]"));
        Assert.Contains("'data.genome', 'data.shards', 'data.manifest'", none.Message);
        var regions = Assert.Throws<DnaInputException>(() => TinyRun.Config("data.genome=", "data.manifest=m.json"));
        Assert.Contains("data.train_regions", regions.Message);
        var beds = Assert.Throws<DnaInputException>(() => TinyRun.Config([.. FromGenomeTo("data.shards", "x"), "data.chromatin_beds=[\"a.bed\"]"]));
        Assert.Contains("need data.genome", beds.Message);
    }

    [Fact]
    public void Shards_train_and_an_interrupted_run_resumes_bit_identical_to_a_straight_one()
    {
        using var corpus = new TempDir("shard-corpus");
        // 60 train rows (4 row groups of 16) and 30 validation rows: 6 steps of 16 rows cross shuffle windows and an epoch.
        var manifest = SampleCorpus.WriteManifest(corpus.Path,
            ("human_a", 1.0, "a_train", SampleCorpus.Bases(ATrain.Item1, ATrain.Item1 + 4020), "a_val", SampleCorpus.Bases(AVal.Item1, AVal.Item1 + 2010)));
        var shards = SampleCorpus.BuildShards(manifest, Path.Combine(corpus.Path, "shards"), rowsPerShard: 16);
        var cfg = TinyRun.Config([.. FromGenomeTo("data.shards", shards), "data.shuffle_chunks=2", "max_steps=6", "checkpoint_every=3"]);

        using var straight = new TempDir("shards-straight");
        using var broken = new TempDir("shards-broken");
        TinyRun.Run(straight.Path, cfg);
        using var cts = new CancellationTokenSource();
        var first = TinyRun.Run(broken.Path, cfg, new TrainerHooks { AfterStep = (s, _) => { if (s == 3) cts.Cancel(); } }, cancel: cts.Token);
        Assert.Equal(TrainingStatus.Interrupted, first.Status);
        var state = TrainerState.Read(Path.Combine(broken.Path, "checkpoints", "step-3", TrainerState.FileName));
        Assert.Equal("shards", state.RankState.Loader!["kind"]!.GetValue<string>());
        var loader = LoaderState.FromJson(state.RankState.Loader!["loader"]!.ToJsonString());
        Assert.Equal(3 * 2, loader.Batches);                 // 3 steps × 2 micro-batches consumed, whatever the read-ahead held
        Assert.Equal(0, loader.Epoch);                       // 48 of the epoch's 60 rows read: in its second shuffle window,
        Assert.Equal(1, loader.Window);                      // the first held 2 row groups (16 + 16 or 16 + 12 rows)
        Assert.InRange(loader.Row, 16, 20);
        var second = TinyRun.Run(broken.Path, cfg, resume: "auto");
        Assert.Equal(TrainingStatus.Completed, second.Status);

        Assert.Equal(TinyRun.FinalWeights(straight.Path), TinyRun.FinalWeights(broken.Path));
        var a = TinyRun.Metrics(straight.Path, "train").Select(o => o["loss"]!.GetValue<double>()).ToList();
        Assert.Equal(6, a.Count);
        Assert.Equal(a, TinyRun.Metrics(broken.Path, "train").Select(o => o["loss"]!.GetValue<double>()));
        Assert.Equal(6 * 16 * 64, second.TokensSeen);        // 67-bp windows: 62 6-mers + [CLS] + [SEP]
        Assert.NotNull(second.LastEval);                      // validated on the shards' validation split
    }

    [Fact]
    public void Shard_ranks_read_disjoint_rows_and_validation_comes_from_validation_shards()
    {
        using var corpus = new TempDir("shard-ranks");
        var trainOnly = SampleCorpus.WriteManifest(corpus.Path,
            ("human_a", 1.0, "a_train", SampleCorpus.Bases(ATrain.Item1, ATrain.Item1 + 67 * 128), "a_val", SampleCorpus.Bases(AVal.Item1, AVal.Item1 + 67 * 32)));
        var shards = SampleCorpus.BuildShards(trainOnly, Path.Combine(corpus.Path, "shards"), rowsPerShard: 16);
        var cfg = TinyRun.Config([.. FromGenomeTo("data.shards", shards), "data.shuffle_chunks=2"]);
        var tok = DnaTokenizers.Load("kmer:6");

        // Two ranks over one epoch (128 rows = 8 row groups, 4 per rank = 8 batches of 8 rows each).
        var rows = new List<HashSet<string>>();
        foreach (var rank in new[] { 0, 1 })
        {
            using var streams = PretrainingData.Open(cfg, tok, null, new RankOf(rank, 2), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            var seen = new HashSet<string>();
            for (int i = 0; i < 8; i++)
            {
                using var b = streams.Train.Next();
                foreach (var r in Rows(b)) Assert.True(seen.Add(r), "a row came twice within one epoch of one rank");
            }
            rows.Add(seen);
        }
        Assert.Equal(64, rows[0].Count);
        Assert.Empty(rows[0].Intersect(rows[1]));
        Assert.Equal(128, rows[0].Union(rows[1]).Count());

        // Validation rows: the validation contig's windows only.
        using (var streams = PretrainingData.Open(cfg, tok, null, SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
        using (var v = streams.Validation())
        using (var b = v.Next())
        {
            var val = SampleCorpus.Bases(AVal.Item1, AVal.Item1 + 67 * 32);
            Assert.All(Rows(b), r => Assert.Contains(tok.Decode(r.Split(',').Select(int.Parse)), val));
        }

        // Shards with no validation split: the error says which key to give.
        var noVal = Path.Combine(corpus.Path, "train-only");
        SampleCorpus.BuildShards(trainOnly, noVal, rowsPerShard: 16);
        File.WriteAllText(Path.Combine(noVal, "index.json"), File.ReadAllText(Path.Combine(noVal, "index.json")).Replace("\"validation\"", "\"test\""));
        var e = Assert.Throws<DnaInputException>(() => PretrainingData.Open(TinyRun.Config(FromGenomeTo("data.shards", noVal)), tok, null, SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Assert.Contains("data.validation_shards", e.Message);
        using (PretrainingData.Open(TinyRun.Config([.. FromGenomeTo("data.shards", noVal), $"data.validation_shards={shards}"]), tok, null, SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)) { }

        // Id shards of another vocabulary are refused.
        var wrong = Assert.Throws<DnaInputException>(() => PretrainingData.Open(TinyRun.Config([.. FromGenomeTo("data.shards", shards), "tokenizer=nt6", "masking.strategy=token"]),
            DnaTokenizers.Load("nt6"), null, SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance));
        Assert.Contains("set key 'tokenizer'", wrong.Message);
    }

    [Fact]
    public void A_manifest_streams_species_by_weight_from_train_contigs_and_validates_on_validation_contigs()
    {
        using var corpus = new TempDir("manifest-corpus");
        var (aTrain, aVal) = (SampleCorpus.Bases(ATrain.Item1, ATrain.Item2), SampleCorpus.Bases(AVal.Item1, AVal.Item2));
        var (bTrain, bVal) = (SampleCorpus.Bases(BTrain.Item1, BTrain.Item2), SampleCorpus.Bases(BVal.Item1, BVal.Item2));
        // Species b is written soft-masked (lowercase), so its tokens carry the soft-mask flag in the trainer's batches.
        var manifest = SampleCorpus.WriteManifest(corpus.Path,
            ("human_a", 3.0, "a_train", aTrain, "a_val", aVal),
            ("human_b", 1.0, "b_train", bTrain.ToLowerInvariant(), "b_val", bVal.ToLowerInvariant()));
        var cfg = TinyRun.Config(FromGenomeTo("data.manifest", manifest));
        var tok = DnaTokenizers.Load("kmer:6");
        using var streams = PretrainingData.Open(cfg, tok, null, SingleProcessCommunicator.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        int a = 0, b = 0;
        for (int i = 0; i < 50; i++)
        {
            using var batch = streams.Train.Next();
            var soft = batch.SoftMasked!.to(torch.ScalarType.Int64).sum(1).data<long>().ToArray();
            var rows = Rows(batch).ToList();
            for (int r = 0; r < rows.Count; r++)
            {
                var bases = tok.Decode(rows[r].Split(',').Select(int.Parse));
                Assert.Equal(67, bases.Length);
                bool fromB = soft[r] > 0;
                var source = fromB ? bTrain : aTrain;
                Assert.True(source.Contains(bases) || source.Contains(SampleCorpus.ReverseComplement(bases)), $"row {r} of batch {i} is not a window of its species' train contig");
                if (fromB) b++; else a++;
            }
        }
        // 400 rows at weights 3:1: b's share is 0.25 (binomial sd 0.022); both strands were used.
        Assert.InRange(b / (double)(a + b), 0.25 - 0.09, 0.25 + 0.09);

        using var validation = streams.Validation();
        int va = 0, vb = 0;
        for (int i = 0; i < 8; i++)
        {
            using var batch = validation.Next();
            var soft = batch.SoftMasked!.to(torch.ScalarType.Int64).sum(1).data<long>().ToArray();
            var rows = Rows(batch).ToList();
            for (int r = 0; r < rows.Count; r++)
            {
                var bases = tok.Decode(rows[r].Split(',').Select(int.Parse));
                Assert.Contains(bases, soft[r] > 0 ? bVal : aVal);   // held-out contigs only, forward strand
                if (soft[r] > 0) vb++; else va++;
            }
        }
        Assert.True(va > 0 && vb > 0, $"validation sampled {va} rows of a and {vb} of b");
    }

    [Fact]
    public void A_manifest_run_resumes_bit_identical_to_a_straight_one()
    {
        using var corpus = new TempDir("manifest-resume");
        var manifest = SampleCorpus.WriteManifest(corpus.Path,
            ("human_a", 3.0, "a_train", SampleCorpus.Bases(ATrain.Item1, ATrain.Item2), "a_val", SampleCorpus.Bases(AVal.Item1, AVal.Item2)),
            ("human_b", 1.0, "b_train", SampleCorpus.Bases(BTrain.Item1, BTrain.Item2), "b_val", SampleCorpus.Bases(BVal.Item1, BVal.Item2)));
        var cfg = TinyRun.Config([.. FromGenomeTo("data.manifest", manifest), "max_steps=6", "checkpoint_every=3"]);
        using var straight = new TempDir("manifest-straight");
        using var broken = new TempDir("manifest-broken");
        TinyRun.Run(straight.Path, cfg);
        using var cts = new CancellationTokenSource();
        Assert.Equal(TrainingStatus.Interrupted, TinyRun.Run(broken.Path, cfg, new TrainerHooks { AfterStep = (s, _) => { if (s == 3) cts.Cancel(); } }, cancel: cts.Token).Status);
        var state = TrainerState.Read(Path.Combine(broken.Path, "checkpoints", "step-3", TrainerState.FileName));
        Assert.Equal("manifest", state.RankState.Loader!["kind"]!.GetValue<string>());
        Assert.Equal(TrainingStatus.Completed, TinyRun.Run(broken.Path, cfg, resume: "auto").Status);
        Assert.Equal(TinyRun.FinalWeights(straight.Path), TinyRun.FinalWeights(broken.Path));
        Assert.Equal(TinyRun.Metrics(straight.Path, "train").Select(o => o["loss"]!.GetValue<double>()),
            TinyRun.Metrics(broken.Path, "train").Select(o => o["loss"]!.GetValue<double>()));
        var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(broken.Path, "run.json"))).RootElement;
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
    }

    /// <summary>Each row's non-padding ids, comma-joined.</summary>
    private static IEnumerable<string> Rows(TrainingBatch b)
    {
        var ids = b.InputIds.data<long>().ToArray();
        var mask = b.AttentionMask.data<long>().ToArray();
        int t = (int)b.InputIds.shape[1];
        for (int r = 0; r < b.InputIds.shape[0]; r++)
            yield return string.Join(',', Enumerable.Range(r * t, t).Where(i => mask[i] == 1).Select(i => ids[i]));
    }

    /// <summary>Rank r of a world of n, for building streams only (no collectives are called).</summary>
    private sealed class RankOf(int rank, int world) : ICommunicator
    {
        public int Rank => rank;
        public int WorldSize => world;
        public string Kind => "test";
        public void AllReduceSum(torch.Tensor tensor) => throw new NotSupportedException();
        public void Broadcast(torch.Tensor tensor, int root = 0) => throw new NotSupportedException();
        public double AllReduceSum(double value) => throw new NotSupportedException();
        public double[] AllGather(double value) => throw new NotSupportedException();
        public void Barrier() => throw new NotSupportedException();
        public void AbortWorld(string reason, int exitCode) { }
        public void Dispose() { }
    }
}
