using System.Text.Json;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// Published models as users get them, through the real <c>dnafm</c>: <c>model fetch</c> against a mock Hugging Face
/// Hub on 127.0.0.1 (every bad-input case one line and exit 2, nothing partial left as a blob), Hub ids in
/// <c>--model</c>, <c>model info</c> on a published config, <c>model export</c>, and one published directory per
/// family (DNABERT-6, DNABERT-2, NT-v2; tests/reference/ref_published.py) through <c>finetune</c> on a GUE slice and <c>embed</c>.
/// </summary>
public sealed class PublishedModelCommandTests
{
    private const string Prom = "samples/gue/prom_core_all/";

    private static string Published(string family) => TestPaths.Fixture("model", "published", family);

    private static Dictionary<string, byte[]> RepoFiles(string family) =>
        Directory.GetFiles(Published(family)).Where(f => Path.GetFileName(f) is not ("io.safetensors" or "seqcls-state.tsv"))   // the goldens are not repository files
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static Dictionary<string, string?> HubEnv(MockHub hub, TempDir dir, bool offline = false, string? token = null) => new()
    {
        ["HF_ENDPOINT"] = hub.Endpoint, ["HF_HOME"] = dir.File("hf"), ["HF_HUB_CACHE"] = null, ["HF_TOKEN"] = token,
        ["HF_HUB_OFFLINE"] = offline ? "1" : null, ["TRANSFORMERS_OFFLINE"] = null,
    };

    private static CliRunner.Result Run(Dictionary<string, string?> env, params string[] args) => CliRunner.RunWithEnvironment(env, args);

    private static string OneErrorLine(CliRunner.Result r)
    {
        Assert.Equal(2, r.ExitCode);
        return Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Model_fetch_fills_the_cache_resumes_a_dropped_connection_and_works_offline_afterwards()
    {
        using var hub = new MockHub(cutFirstResponses: 1, cutAfter: 4096);
        var commit = hub.AddRepo("zhihan1996/DNABERT-2-117M", RepoFiles("dnabert2"));
        using var dir = new TempDir("cli-hub");
        var env = HubEnv(hub, dir);

        var r = Run(env, "model", "fetch", "zhihan1996/DNABERT-2-117M");
        Assert.True(r.ExitCode == 0, r.StdErr);
        var snapshot = dir.File($"hf/hub/models--zhihan1996--DNABERT-2-117M/snapshots/{commit}");
        Assert.Equal(snapshot, r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        // config, tokenizer files and the weights: what a load needs (not generation_config.json)
        Assert.Equal(["config.json", "pytorch_model.bin", "tokenizer.json", "tokenizer_config.json"], Directory.GetFiles(snapshot).Select(Path.GetFileName).Order());
        Assert.Contains("bytes=4096-", hub.Server.RangeHeaders);                                  // the cut download resumed
        Assert.Equal(File.ReadAllBytes(Path.Combine(Published("dnabert2"), "pytorch_model.bin")), File.ReadAllBytes(Path.Combine(snapshot, "pytorch_model.bin")));
        Assert.Equal(commit, File.ReadAllText(dir.File("hf/hub/models--zhihan1996--DNABERT-2-117M/refs/main")));

        int requests = hub.Server.Requests.Count;
        var offline = Run(HubEnv(hub, dir, offline: true), "model", "info", "--model", "zhihan1996/DNABERT-2-117M");
        Assert.True(offline.ExitCode == 0, offline.StdErr);
        Assert.Contains("published family   dnabert2", offline.StdOut);
        Assert.Contains("ignored keys       _name_or_path, auto_map", offline.StdOut);
        Assert.Equal(requests, hub.Server.Requests.Count);

        var all = Run(env, "model", "fetch", "zhihan1996/DNABERT-2-117M", "--include", "*");
        Assert.True(all.ExitCode == 0, all.StdErr);
        Assert.Contains("downloaded generation_config.json", all.StdOut.Replace("  ", " "));
        Assert.Contains("present    config.json", all.StdOut);
    }

    [Fact]
    public void Model_fetch_bad_input_is_one_line_exit_2_and_no_partial_blob()
    {
        using var hub = new MockHub();
        var commit = hub.AddRepo("org/private", RepoFiles("nt-v2"), token: "hf_right");
        hub.AddRepo("org/public", RepoFiles("nt-v2"));
        using var dir = new TempDir("cli-hub-bad");
        var env = HubEnv(hub, dir);
        var blobs = dir.File("hf/hub/models--org--public/blobs");

        var line = OneErrorLine(Run(HubEnv(hub, dir, offline: true), "model", "fetch", "org/public"));
        Assert.Contains("HF_HUB_OFFLINE is set and org/public at revision 'main' is not in the cache", line);
        line = OneErrorLine(Run(env, "model", "fetch", "org/private"));
        Assert.Contains($"{hub.Endpoint}/api/models/org/private/revision/main: HTTP 401", line);
        Assert.Contains("set HF_TOKEN", line);
        line = OneErrorLine(Run(env, "model", "fetch", "org/public", "--revision", "v9"));
        Assert.Contains("revision 'v9' does not exist in org/public", line);
        line = OneErrorLine(Run(HubEnv(hub, dir, token: "hf_wrong"), "model", "fetch", "org/missing"));
        Assert.Contains("HTTP 404", line);

        var weights = MockHub.Sha256(RepoFiles("nt-v2")["model.safetensors"]);
        hub.FailPaths[$"/cdn/{weights}"] = 500;
        line = OneErrorLine(Run(env, "model", "fetch", "org/public"));
        Assert.Contains($"/cdn/{weights}: ", line);
        Assert.Contains("HTTP 500", line);
        Assert.False(File.Exists(Path.Combine(blobs, weights)));
        hub.FailPaths.Clear();

        hub.CorruptBlobs.Add(weights);
        line = OneErrorLine(Run(env, "model", "fetch", "org/public"));
        Assert.Contains($"{hub.Endpoint}/org/public/resolve/", line);
        Assert.Contains($"the Hub's ETag says {weights}", line);
        Assert.Empty(Directory.GetFiles(blobs, weights + "*"));                                  // neither blob nor partial file
        hub.CorruptBlobs.Clear();

        var ok = Run(HubEnv(hub, dir, token: "hf_right"), "model", "fetch", "org/private");
        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Contains(commit, ok.StdOut);
    }

    [Fact]
    public void A_shard_missing_from_its_index_or_truncated_is_one_line_naming_the_file()
    {
        using var dir = new TempDir("cli-shards");
        var model = dir.File("nt-v1");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(Published("nt-v1"))) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        var shard = Path.Combine(model, "model-00002-of-00002.safetensors");
        var bytes = File.ReadAllBytes(shard);

        File.WriteAllBytes(shard, bytes[..^64]);
        var line = OneErrorLine(CliRunner.Run("model", "forward", "--model", model, "--input", dir.File("none.jsonl"), "--output", dir.File("o.safetensors")));
        Assert.Contains(shard, line);
        Assert.Contains("truncated", line);

        File.Delete(shard);
        line = OneErrorLine(CliRunner.Run("model", "forward", "--model", model, "--input", dir.File("none.jsonl"), "--output", dir.File("o.safetensors")));
        Assert.Contains("model.safetensors.index.json", line);
        Assert.Contains("names shard 'model-00002-of-00002.safetensors', which is not in the model directory", line);
    }

    [Fact]
    public void Dnabert6_published_directory_finetunes_on_a_gue_slice_embeds_and_exports()
        => FinetuneAndEmbed(Published("dnabert6"), env: null, hidden: 12, freshPooler: false, family: "dnabert6");

    [Fact]
    public void Nt_v2_published_directory_finetunes_on_a_gue_slice_embeds_and_exports()
        => FinetuneAndEmbed(Published("nt-v2"), env: null, hidden: 12, freshPooler: true, family: "nt-v2");

    [Fact]
    public void Dnabert2_by_its_hub_id_finetunes_on_a_gue_slice_and_embeds_as_the_readme_shows()
    {
        using var hub = new MockHub();
        hub.AddRepo("zhihan1996/DNABERT-2-117M", RepoFiles("dnabert2"));
        using var dir = new TempDir("cli-readme-hub");
        FinetuneAndEmbed("zhihan1996/DNABERT-2-117M", HubEnv(hub, dir), hidden: 12, freshPooler: true, family: "dnabert2");
    }

    /// <summary>The families the tests above do not fine-tune: each directory as shipped (sharded safetensors, sharded fp16
    /// pickles, a pre-LN BERT with an NSP head, an unprefixed bare encoder) is named by <c>model info</c> and embeds
    /// with the tokenizer files it ships, found without flags.</summary>
    [Theory]
    [InlineData("nt-v1", "nt-v1")]
    [InlineData("grover", "bert")]
    [InlineData("gena-lm", "gena-lm")]
    [InlineData("dnabert-s", "dnabert2")]
    public void Every_other_published_family_is_named_by_model_info_and_embeds_as_shipped(string fixture, string family)
    {
        using var dir = new TempDir("cli-published-family");
        var info = CliRunner.Run("model", "info", "--model", Published(fixture));
        Assert.True(info.ExitCode == 0, info.StdErr);
        Assert.Contains($"published family   {family}", info.StdOut);
        File.WriteAllText(dir.File("seqs.fa"), ">a\nACGTACGTTAGCATCGATCGATCGGGCTAGCTAGCATCGA\n>b\nTTTTGGGGCCCCAAAATTTTGGGG\n");
        var e = CliRunner.Run("embed", "--model", Published(fixture), "--input", dir.File("seqs.fa"), "--output", dir.File("emb.tsv"), "--threads", "1");
        Assert.True(e.ExitCode == 0, e.StdErr);
        var rows = File.ReadAllLines(dir.File("emb.tsv"));
        Assert.Equal(3, rows.Length);                                                                // header + 2 sequences
        Assert.All(rows[1..], r => Assert.Equal(12, r.Split('\t')[^1].Split(',').Length));
    }

    [Fact]
    public void A_published_directory_is_accepted_by_forward_score_variants_and_attention()
    {
        using var dir = new TempDir("cli-published-any");
        var model = Published("dnabert6");
        File.WriteAllText(dir.File("ids.jsonl"), "{\"ids\": [2, 100, 200, 300, 3]}\n");
        var forward = CliRunner.Run("model", "forward", "--model", model, "--input", dir.File("ids.jsonl"), "--output", dir.File("out.safetensors"), "--threads", "1", "--verbose");
        Assert.True(forward.ExitCode == 0, forward.StdErr);
        Assert.Contains("logits [1, 5, 4101]", forward.StdErr);
        Assert.Matches("published dnabert config; ignored keys transformers wrote: .*do_sample.*rnn.*split", forward.StdErr);
        var variants = CliRunner.Run("score-variants", "--model", model, "--vcf", TestPaths.RepoRoot + "/samples/variants/clinvar_logo_chr20.vcf",
            "--fasta", TestPaths.RepoRoot + "/samples/genome/GRCh37_chr20_sample.fa.gz", "--window", "64", "--scores", "llr", "--output", dir.File("v.tsv"), "--threads", "1");
        Assert.True(variants.ExitCode == 0, variants.StdErr);
        Assert.Equal(8, File.ReadAllLines(dir.File("v.tsv")).Length);                                  // header + 7 variants
        var attention = CliRunner.Run("attention", "--model", model, "--sequence", "ACGTACGTTAGCATCGATCGATCG", "--layers", "1", "--output", dir.File("att"), "--threads", "1");
        Assert.True(attention.ExitCode == 0, attention.StdErr);
        Assert.NotEmpty(Directory.GetFiles(dir.File("att"), "*", SearchOption.AllDirectories));
    }

    /// <param name="family">The published fixture whose seqcls-state.tsv (tests/reference/ref_export_layout.py: the state dict of
    /// the family's own XForSequenceClassification) the exported fine-tuned model must match name for name.</param>
    private static void FinetuneAndEmbed(string model, Dictionary<string, string?>? env, int hidden, bool freshPooler, string family)
    {
        using var dir = new TempDir("cli-published");
        string[] finetune =
        [
            "finetune", "--model", model, "--train", TestPaths.RepoRoot + "/" + Prom + "train.csv", "--dev", TestPaths.RepoRoot + "/" + Prom + "dev.csv",
            "--test", TestPaths.RepoRoot + "/" + Prom + "test.csv", "--max-length", "32", "--max-steps", "4", "--global-batch", "8", "--micro-batch", "8",
            "--eval-steps", "2", "--warmup-steps", "1", "--threads", "1", "--output", dir.File("ft"),
        ];
        var r = env is null ? CliRunner.Run(finetune) : Run(env, finetune);
        Assert.True(r.ExitCode == 0, r.StdErr);
        using var results = JsonDocument.Parse(File.ReadAllText(dir.File("ft/results.json")));
        var origin = results.RootElement.GetProperty("origin").GetString()!;
        Assert.StartsWith("pretrained weights from", origin);
        var fresh = results.RootElement.GetProperty("initialized_heads").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("sequence.classifier.weight", fresh);
        // DNABERT-2's and NT's MLM files have no pooler: initialised from --seed, and the origin says so. DNABERT's file has one.
        Assert.Equal(freshPooler, fresh.Contains("sequence.pooler.weight"));
        Assert.Equal(freshPooler, origin.Contains("sequence.pooler", StringComparison.Ordinal) && origin.Contains("initialised from seed 42", StringComparison.Ordinal));
        Assert.True(results.RootElement.GetProperty("test").GetProperty("mcc").ValueKind == JsonValueKind.Number);

        File.WriteAllText(dir.File("seqs.fa"), ">a\nACGTACGTTAGCATCGATCGATCGGGCTAGCTAGCATCGA\n>b\nTTTTGGGGCCCCAAAATTTTGGGGCCCCAAAA\n");
        string[] embed = ["embed", "--model", model, "--input", dir.File("seqs.fa"), "--output", dir.File("emb.tsv"), "--threads", "1"];
        var e = env is null ? CliRunner.Run(embed) : Run(env, embed);
        Assert.True(e.ExitCode == 0, e.StdErr);
        var rows = File.ReadAllLines(dir.File("emb.tsv"));
        Assert.Equal(3, rows.Length);                                                                // header + 2 sequences
        Assert.Equal(hidden, rows[1].Split('\t')[^1].Split(',').Length);

        // What was fine-tuned here goes back to the family's own layout: the state dict its sequence-classification
        // class loads strictly (names, dtypes, shapes from PyTorch), the published config keys, the tokenizer files.
        var x = CliRunner.Run("model", "export", dir.File("ft/final"), "--format", "hf", "--output", dir.File("hf"));
        Assert.True(x.ExitCode == 0, x.StdErr);
        var expected = File.ReadAllLines(Path.Combine(Published(family), "seqcls-state.tsv"));
        string[] actual;
        using (var exported = DnaFoundation.Model.Checkpoints.TensorFiles.Open(dir.File("hf/model.safetensors")))
            actual = [.. exported.Names.Select(n => (Name: n, Meta: exported.Meta(n)))
                .Select(t => $"{t.Name}\t{t.Meta.Dtype.ToString().ToLowerInvariant()}\t{string.Join(',', t.Meta.Shape)}").Order(StringComparer.Ordinal)];
        Assert.Equal(expected, actual);
        using var hfConfig = JsonDocument.Parse(File.ReadAllText(dir.File("hf/config.json")));
        using var published = JsonDocument.Parse(File.ReadAllText(Path.Combine(Published(family), "config.json")));
        Assert.EndsWith("ForSequenceClassification", hfConfig.RootElement.GetProperty("architectures")[0].GetString());
        // the classes keep their names (task.json's labels become id2label), and the export predicts what the model did
        Assert.Equal("1", hfConfig.RootElement.GetProperty("id2label").GetProperty("1").GetString());
        Assert.Equal(1, hfConfig.RootElement.GetProperty("label2id").GetProperty("1").GetInt32());
        foreach (var m in new[] { "ft/final", "hf" })
        {
            string[] predict = ["predict", "--model", dir.File(m), "--input", dir.File("seqs.fa"), "--max-length", "32", "--output", dir.File(m.Replace('/', '-') + ".tsv"), "--threads", "1"];
            var p = env is null ? CliRunner.Run(predict) : Run(env, predict);
            Assert.True(p.ExitCode == 0, p.StdErr);
        }
        Assert.Equal(File.ReadAllText(dir.File("ft-final.tsv")), File.ReadAllText(dir.File("hf.tsv")));
        foreach (var key in published.RootElement.EnumerateObject().Select(p => p.Name).Where(k => k != "architectures"))
            Assert.True(hfConfig.RootElement.TryGetProperty(key, out _), $"published key '{key}' missing from the export");
        foreach (var name in DnaFoundation.Evaluation.Export.ModelExporter.TokenizerFiles.Where(n => File.Exists(Path.Combine(Published(family), n))))
            Assert.Equal(File.ReadAllBytes(Path.Combine(Published(family), name)), File.ReadAllBytes(dir.File("hf/" + name)));

        var bad = CliRunner.Run("model", "export", dir.File("ft/final"), "--format", "onnx", "--output", dir.File("onnx"));
        Assert.Contains("--format 'onnx' is not supported", OneErrorLine(bad));
        Assert.False(Directory.Exists(dir.File("onnx")));
    }
}
