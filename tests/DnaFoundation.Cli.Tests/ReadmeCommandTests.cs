using System.Text.Json;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The README's command tour, run through the real executable on the samples the repository ships (the libraries
/// behind each command have their own reference tests; these check that the commands, as documented, work).
/// </summary>
public class ReadmeCommandTests
{
    private const string Genome = "samples/genome/GRCh37_chr20_sample.fa.gz";
    private const string Test = "samples/gue/prom_core_all/test.csv";

    private static CliRunner.Result Dnafm(params string[] args)
    {
        var r = CliRunner.RunIn(TestPaths.RepoRoot, args);
        Assert.True(r.ExitCode == 0, $"dnafm {string.Join(' ', args)} exited {r.ExitCode}: {r.StdErr}");
        return r;
    }

    [Fact]
    public void Tokenizer_encode_train_and_select()
    {
        using var dir = new TempDir("readme-tok");
        Dnafm("tokenizer", "encode", "-t", "kmer:6", "-i", Test, "-o", dir.File("ids.jsonl"));
        var lines = File.ReadAllLines(dir.File("ids.jsonl"));
        Assert.Equal(500, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(70 - 6 + 1 + 2, first.GetProperty("ids").GetArrayLength()); // 65 overlapping 6-mers + [CLS] + [SEP]

        Dnafm("tokenizer", "train", "-i", Genome, "--vocab-size", "300", "-o", dir.File("bpe/tokenizer.json"));
        var tok = JsonDocument.Parse(File.ReadAllText(dir.File("bpe/tokenizer.json"))).RootElement;
        Assert.Equal(300, tok.GetProperty("model").GetProperty("vocab").EnumerateObject().Count());

        Dnafm("tokenizer", "select", "-i", Genome, "--cycles", "50,100,200", "-o", dir.File("sel"));
        Assert.True(File.Exists(dir.File("sel/tokenizer.json")));
        Assert.NotEmpty(Directory.GetFiles(dir.File("sel"), "*.png"));
    }

    [Fact]
    public void Data_faidx_fetch_and_shard()
    {
        using var dir = new TempDir("readme-data");
        var r = Dnafm("data", "faidx", Genome, "20:10629696-10629716");
        Assert.StartsWith(">20:10629696-10629716\n", r.StdOut.Replace("\r", ""));
        Assert.Equal(21, r.StdOut.Split('\n')[1].Trim().Length);

        Dnafm("data", "fetch", "data-manifests/quickstart-sample.json", "--out", dir.File("genomes")); // local genome: sha256 verified

        Dnafm("data", "shard", "-m", "data-manifests/quickstart-sample.json", "-t", "nt6", "-o", dir.File("shards"), "--max-rows-per-split", "200");
        Assert.True(File.Exists(dir.File("shards/index.json")));
        Assert.NotEmpty(Directory.GetFiles(dir.File("shards"), "*.parquet", SearchOption.AllDirectories));
    }

    [Fact]
    public void Model_info_embed_and_similarity()
    {
        using var dir = new TempDir("readme-model");
        var info = Dnafm("model", "info", "--model", "dnabert2-117m", "--json");
        Assert.Contains("117", info.StdOut);

        // A tiny pretrained model to embed with: two steps of the tiny recipe.
        Dnafm("pretrain", "--config", "configs/train/tiny.json", "--output", dir.File("run"), "--max-steps", "2", "--threads", "2");
        var model = dir.File("run/final");
        Dnafm("embed", "--model", model, "--input", Test, "--output", dir.File("emb.parquet"));
        Assert.True(new FileInfo(dir.File("emb.parquet")).Length > 0);
        Dnafm("similarity", "--embeddings", dir.File("emb.parquet"), "--output", dir.File("sim.tsv"));
        Assert.True(File.ReadAllLines(dir.File("sim.tsv")).Length > 1);
    }
}
