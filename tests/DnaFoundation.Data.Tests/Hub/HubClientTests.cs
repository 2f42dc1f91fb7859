using System.Text;
using DnaFoundation.Core;
using DnaFoundation.Data.Hub;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Hub;

/// <summary>The Hub client against a mock Hub on 127.0.0.1 (<see cref="MockHub"/>): cache layout, resume, verification, errors.</summary>
public sealed class HubClientTests
{
    private static readonly byte[] Weights = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7 % 251)).ToArray();
    private static readonly byte[] Config = Encoding.UTF8.GetBytes("""{"model_type": "bert"}""");

    private static Dictionary<string, byte[]> Files() => new()
    {
        ["config.json"] = Config,
        ["model.safetensors"] = Weights,
        ["README.md"] = Encoding.UTF8.GetBytes("# a model"),
        ["jax_model/params.msgpack"] = Weights[..300],
    };

    private static HubClient Client(MockHub hub, TempDir dir, string? token = null, bool offline = false) =>
        new(new HubSettings(new Uri(hub.Endpoint + "/"), dir.File("hub"), token, offline), HubClient.CreateHttpClient());

    private static IReadOnlyList<string> All(IReadOnlyList<string> files) => files;

    [Fact]
    public async Task Fetch_fills_the_huggingface_cache_layout()
    {
        using var hub = new MockHub();
        var commit = hub.AddRepo("org/dna-model", Files());
        using var dir = new TempDir("hub");
        var snapshot = await Client(hub, dir).FetchAsync("org/dna-model", "main", All);

        var repoDir = dir.File("hub/models--org--dna-model");
        Assert.Equal(commit, File.ReadAllText(Path.Combine(repoDir, "refs", "main")));
        Assert.Equal(Path.Combine(repoDir, "snapshots", commit), snapshot.Dir);
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(repoDir, "blobs", MockHub.Sha256(Weights))));      // LFS: named by sha256
        Assert.Equal(Config, File.ReadAllBytes(Path.Combine(repoDir, "blobs", MockHub.GitBlobSha1(Config))));    // others: git blob sha1
        var link = new FileInfo(Path.Combine(snapshot.Dir, "model.safetensors"));
        Assert.Equal(Path.Combine("..", "..", "blobs", MockHub.Sha256(Weights)), link.LinkTarget);                  // relative, as huggingface_hub links
        Assert.Equal(Weights, File.ReadAllBytes(link.FullName));
        Assert.Equal(Weights[..300], File.ReadAllBytes(Path.Combine(snapshot.Dir, "jax_model", "params.msgpack")));
        Assert.All(snapshot.Files, f => Assert.Equal("downloaded", f.Status));
        Assert.Empty(Directory.GetFiles(Path.Combine(repoDir, "blobs"), "*.incomplete"));

        var again = await Client(hub, dir).FetchAsync("org/dna-model", "main", All);
        Assert.All(again.Files, f => Assert.Equal("present", f.Status));
    }

    [Fact]
    public async Task A_dropped_connection_resumes_with_a_range_and_a_killed_run_is_resumed_next_time()
    {
        using var hub = new MockHub(cutFirstResponses: 1, cutAfter: 1200);
        hub.AddRepo("org/m", new Dictionary<string, byte[]> { ["model.safetensors"] = Weights });
        using var dir = new TempDir("hub");
        // A killed earlier run left the first 500 bytes.
        var incomplete = dir.File($"hub/models--org--m/blobs/{MockHub.Sha256(Weights)}.incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        File.WriteAllBytes(incomplete, Weights[..500]);

        var snapshot = await Client(hub, dir).FetchAsync("org/m", "main", All);
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(snapshot.Dir, "model.safetensors")));
        Assert.Equal(["bytes=500-", "bytes=1700-"], hub.Server.RangeHeaders.Where(r => r is not null));
        Assert.False(File.Exists(incomplete));
    }

    [Fact]
    public async Task A_checksum_mismatch_leaves_no_blob_and_no_partial_file()
    {
        using var hub = new MockHub();
        var commit = hub.AddRepo("org/m", Files());
        hub.CorruptBlobs.Add(MockHub.Sha256(Weights));
        using var dir = new TempDir("hub");
        var e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir).FetchAsync("org/m", "main", All));
        Assert.StartsWith($"{hub.Endpoint}/org/m/resolve/{commit}/model.safetensors: ", e.Message);
        Assert.Contains($"the Hub's ETag says {MockHub.Sha256(Weights)}", e.Message);
        Assert.Contains("run the fetch again", e.Message);
        var blobs = dir.File("hub/models--org--m/blobs");
        Assert.DoesNotContain(Directory.GetFiles(blobs), f => f.Contains(MockHub.Sha256(Weights), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connection_that_keeps_dropping_fails_keeping_only_the_resumable_partial_file()
    {
        using var hub = new MockHub(cutFirstResponses: 100, cutAfter: 100);
        hub.AddRepo("org/m", new Dictionary<string, byte[]> { ["model.safetensors"] = Weights });
        using var dir = new TempDir("hub");
        var e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir).FetchAsync("org/m", "main", All));
        Assert.Contains("download failed after 5 attempts", e.Message);
        Assert.Contains("re-run to resume", e.Message);
        var blob = dir.File($"hub/models--org--m/blobs/{MockHub.Sha256(Weights)}");
        Assert.False(File.Exists(blob));                                  // no partial blob, ever
        Assert.Equal(500, new FileInfo(blob + ".incomplete").Length);      // what the next run resumes from
        Assert.False(Directory.Exists(dir.File("hub/models--org--m/snapshots")));
    }

    [Fact]
    public async Task Private_repositories_need_the_token_and_errors_say_what_to_do()
    {
        using var hub = new MockHub();
        hub.AddRepo("org/private", Files(), token: "hf_secret");
        using var dir = new TempDir("hub");
        var e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir).FetchAsync("org/private", "main", All));
        Assert.StartsWith($"{hub.Endpoint}/api/models/org/private/revision/main: HTTP 401", e.Message);
        Assert.Contains("set HF_TOKEN", e.Message);
        var ok = await Client(hub, dir, token: "hf_secret").FetchAsync("org/private", "main", All);
        Assert.Equal(4, ok.Files.Count);

        e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir).FetchAsync("org/dna-model", "v9", All));
        Assert.Contains("HTTP 401", e.Message);                              // anonymous: the Hub does not say it is missing
        hub.AddRepo("org/public", Files());
        e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir).FetchAsync("org/public", "v9", All));
        Assert.Contains("revision 'v9' does not exist in org/public", e.Message);
        e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir, token: "hf_other").FetchAsync("org/nothing", "main", All));
        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains("repository org/nothing does not exist", e.Message);
    }

    [Fact]
    public async Task A_server_error_names_the_file_url_and_leaves_nothing_in_the_cache()
    {
        using var hub = new MockHub();
        var commit = hub.AddRepo("org/m", Files());
        hub.FailPaths[$"/cdn/{MockHub.Sha256(Weights)}"] = 500;
        using var dir = new TempDir("hub");
        var e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir).FetchAsync("org/m", "main", All));
        Assert.StartsWith($"{hub.Endpoint}/cdn/", e.Message);
        Assert.Contains("HTTP 500", e.Message);
        Assert.Contains("try again later", e.Message);
        Assert.Empty(Directory.GetFiles(dir.File("hub/models--org--m/blobs"), MockHub.Sha256(Weights) + "*"));

        hub.FailPaths.Clear();
        hub.FailPaths[$"/org/m/resolve/{commit}/config.json"] = 500;
        using var fresh = new TempDir("hub");
        e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, fresh).FetchAsync("org/m", "main", All));
        Assert.StartsWith($"{hub.Endpoint}/org/m/resolve/{commit}/config.json: HTTP 500", e.Message);
    }

    [Fact]
    public async Task Offline_uses_the_cache_and_an_empty_cache_is_a_clear_error()
    {
        using var hub = new MockHub();
        hub.AddRepo("org/m", Files());
        using var dir = new TempDir("hub");
        var e = await Assert.ThrowsAsync<DnaInputException>(() => Client(hub, dir, offline: true).FetchAsync("org/m", "main", All));
        Assert.Contains("HF_HUB_OFFLINE is set and org/m at revision 'main' is not in the cache", e.Message);
        Assert.Empty(hub.Server.Requests);

        await Client(hub, dir).FetchAsync("org/m", "main", All);
        int online = hub.Server.Requests.Count;
        var cached = await Client(hub, dir, offline: true).FetchAsync("org/m", "main", All);
        Assert.Equal(online, hub.Server.Requests.Count);                    // offline: no request at all
        Assert.All(cached.Files, f => Assert.Equal("cached", f.Status));
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(cached.Dir, "model.safetensors")));
    }

    [Fact]
    public async Task Model_ids_resolve_from_the_cache_and_fetch_only_what_a_load_needs()
    {
        using var hub = new MockHub();
        hub.AddRepo("org/m", Files());
        using var dir = new TempDir("hub");
        var client = Client(hub, dir);
        var path = await HubModels.ResolveAsync("org/m", client);
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(path).Select(Path.GetFileName).Order());
        int requests = hub.Server.Requests.Count;
        Assert.Equal(path, await HubModels.ResolveAsync("org/m", client));
        Assert.Equal(requests, hub.Server.Requests.Count);                 // a loadable snapshot needs no network

        Assert.Equal(dir.Path, await HubModels.ResolveAsync(dir.Path, client)); // a local path is never a Hub id
        Assert.True(HubModels.TryParse("zhihan1996/DNABERT-2-117M@v1.0", out var repo, out var rev));
        Assert.Equal(("zhihan1996/DNABERT-2-117M", "v1.0"), (repo, rev));
        Assert.False(HubModels.TryParse("dnabert2-117m", out _, out _));
        Assert.False(HubModels.TryParse("a/../b", out _, out _));
    }

    [Fact]
    public void File_selection_prefers_one_weights_format_and_include_globs_match_like_fnmatch()
    {
        string[] nt = ["README.md", "config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "jax_model/params.msgpack"];
        Assert.Equal(["config.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "model.safetensors"], HubModels.ModelFiles(nt));
        string[] sharded = ["config.json", "pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"];
        Assert.Equal(sharded, HubModels.ModelFiles(sharded));
        Assert.Equal(["config.json", "vocab.txt"], HubModels.Matching(nt, ["*.json", "vocab.*"]).Where(f => f is "config.json" or "vocab.txt"));
        Assert.Equal(["jax_model/params.msgpack"], HubModels.Matching(nt, ["jax_model/"]));
        Assert.Equal(["model.safetensors", "pytorch_model.bin"], HubModels.Matching(nt, ["[mp]*.[bs]*"]));
    }

    [Fact]
    public void Settings_follow_huggingface_hub_environment_variables()
    {
        using var dir = new TempDir("hfhome");
        File.WriteAllText(dir.File("token"), "hf_from_file\n");
        var env = new Dictionary<string, string?> { ["HOME"] = "/home/u", ["HF_HOME"] = dir.Path, ["HF_HUB_OFFLINE"] = "1" };
        var s = HubSettings.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(("https://huggingface.co/", Path.Combine(dir.Path, "hub"), "hf_from_file", true), (s.Endpoint.ToString(), s.CacheDir, s.Token, s.Offline));
        env = new() { ["HOME"] = "/home/u", ["XDG_CACHE_HOME"] = "/x", ["HF_ENDPOINT"] = "http://127.0.0.1:9/", ["HF_TOKEN"] = "hf_env", ["HF_HUB_OFFLINE"] = "no" };
        s = HubSettings.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(("http://127.0.0.1:9/", "/x/huggingface/hub", "hf_env", false), (s.Endpoint.ToString(), s.CacheDir, s.Token, s.Offline));
        env = new() { ["HOME"] = "/home/u", ["HF_HUB_CACHE"] = "~/c" };
        Assert.Equal("/home/u/c", HubSettings.FromEnvironment(k => env.GetValueOrDefault(k)).CacheDir);
        Assert.Equal("/home/u/.cache/huggingface/hub", HubSettings.FromEnvironment(k => k == "HOME" ? "/home/u" : null).CacheDir);
    }
}
