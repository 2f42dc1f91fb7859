using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// DNAFM_BLAS and the run-time choice of the library behind libtorch's sgemm: the setting is checked, the choice is
/// what serves libtorch (the dynamic linker's own binding trace says so), it is shown by info and recorded in
/// run.json and checkpoints, the two libraries train to the same numbers within float32 rounding, a resume with the
/// same one is bit-exact and a resume with the other warns. The tests that need a system OpenBLAS skip without one
/// (.ci/run installs Debian's libopenblas0-pthread).
/// </summary>
public class BlasProviderCommandTests
{
    private static readonly string? OpenBlas = BlasProvider.SystemOpenBlasFile();
    private const string NoOpenBlas = "no system OpenBLAS (apt-get install libopenblas0-pthread)";

    private static CliRunner.Result Dnafm(string blas, params string[] args) =>
        CliRunner.RunWithEnvironment(new Dictionary<string, string?> { [BlasProvider.Variable] = blas }, args);

    private static JsonElement Info(string blas, IReadOnlyDictionary<string, string?>? more = null)
    {
        var env = new Dictionary<string, string?> { [BlasProvider.Variable] = blas };
        foreach (var (k, v) in more ?? new Dictionary<string, string?>()) env[k] = v;
        var r = CliRunner.RunWithEnvironment(env, "info", "--json");
        Assert.True(r.ExitCode == 0, r.StdErr);
        return JsonDocument.Parse(r.StdOut).RootElement;
    }

    [Fact]
    public void A_bad_DNAFM_BLAS_is_a_one_line_error_naming_the_variable()
    {
        var r = Dnafm("fastest", "info");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: DNAFM_BLAS='fastest' is not allowed; allowed values: auto, mkl, openblas", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Fact]
    public void Info_shows_the_provider_its_reason_and_the_square_gemm_rate()
    {
        var info = Info("mkl");
        Assert.StartsWith("mkl 20", info.GetProperty("blas").GetString());                 // MKL 2024.x inside libtorch_cpu.so
        Assert.Contains("DNAFM_BLAS=mkl", info.GetProperty("blas choice").GetString());
        Assert.Matches(@"^fp32 1024³ through libtorch now: \d+ GFLOP/s on \d+ threads$", info.GetProperty("square gemm").GetString());
        Assert.Matches(@"family \d+ model \d+", info.GetProperty("cpu").GetString());
    }

    [SkippableFact]
    public void DNAFM_BLAS_openblas_routes_libtorchs_sgemm_to_the_system_openblas_and_mkl_keeps_libtorchs_own()
    {
        Skip.If(OpenBlas is null, NoOpenBlas);
        using var dir = new TempDir("blas-bindings");
        // The dynamic linker's own trace of which library each symbol reference was bound to.
        string Binding(string blas)
        {
            var trace = Path.Combine(dir.Path, blas);
            var info = Info(blas, new Dictionary<string, string?> { ["LD_DEBUG"] = "bindings", ["LD_DEBUG_OUTPUT"] = trace });
            Assert.StartsWith(blas + " ", info.GetProperty("blas").GetString());
            var lines = Directory.GetFiles(dir.Path, blas + ".*").SelectMany(File.ReadLines)
                .Where(l => l.Contains("libtorch_cpu.so [0] to ", StringComparison.Ordinal) && l.EndsWith("normal symbol `sgemm_'", StringComparison.Ordinal)).ToList();
            Assert.Single(lines.Distinct());
            return lines[0];
        }
        Assert.Matches(@"libtorch_cpu\.so \[0\] to \S*libopenblas[^/ ]*\.so\S* \[0\]", Binding("openblas"));
        Assert.Matches(@"libtorch_cpu\.so \[0\] to \S*libtorch_cpu\.so \[0\]", Binding("mkl"));
    }

    [SkippableFact]
    public void Auto_takes_the_faster_library_from_the_cached_measurement()
    {
        Skip.If(OpenBlas is null, NoOpenBlas);
        using var cache = new TempDir("blas-cache");
        var env = new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = cache.Path };
        var first = Info("auto", env);                                                     // measures and writes the cache
        var file = Path.Combine(cache.Path, "dnafm", "blas.json");
        Assert.True(File.Exists(file));
        Assert.Matches(@"^sgemm \d+³ on \d+ threads: mkl \d+ GFLOP/s, openblas \d+ GFLOP/s", first.GetProperty("blas measured").GetString());

        // The same machine setup measured once more, with rates that leave no doubt: the choice follows them.
        string With(double mkl, double openBlas)
        {
            var all = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            Assert.Single(all);
            var entry = all.First().Value!.AsObject();
            entry["gflops"] = new JsonObject { ["mkl"] = mkl, ["openblas"] = openBlas };
            entry["quiet"] = true;
            File.WriteAllText(file, all.ToJsonString());
            var info = Info("auto", env);
            Assert.Contains("(cached in", info.GetProperty("blas measured").GetString());
            return info.GetProperty("blas").GetString()!;
        }
        Assert.StartsWith("openblas ", With(mkl: 75, openBlas: 307));
        Assert.StartsWith("mkl ", With(mkl: 134, openBlas: 169));                        // below the required 1.5×
    }

    private static readonly string[] TinyPretrain =
    [
        "pretrain", "--config", Path.Combine(TestPaths.RepoRoot, "configs", "train", "tiny.json"), "--device", "cpu", "--threads", "2", "--checkpoint-every", "2",
        "--set", "eval_every=0", "--set", "log_every=1", "--set", "baseline_windows=64", "--set", "max_length=64", "--set", "data.window_bp=67",
        "--set", "micro_batch_size=8", "--set", "global_batch_size=16", "--set", "eval_batches=2",
        "--set", "precision=fp32",                                         // sgemm serves float32 products; bf16 goes to oneDNN
        // A schedule that does not depend on max_steps, so a 2-step run is the first half of a 4-step one.
        "--set", "optimizer.schedule.kind=constant", "--set", "optimizer.schedule.warmup_steps=1",
    ];

    private static CliRunner.Result Pretrain(string blas, string output, int steps, params string[] more)
    {
        var r = CliRunner.RunWithEnvironment(new Dictionary<string, string?> { [BlasProvider.Variable] = blas },
            [.. TinyPretrain, "--output", output, "--max-steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), .. more]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        return r;
    }

    [SkippableFact]
    public void Both_libraries_train_to_the_same_losses_and_weights_within_float32_rounding_and_run_json_says_which_ran()
    {
        Skip.If(OpenBlas is null, NoOpenBlas);
        using var dir = new TempDir("blas-agree");
        var runs = new[] { "mkl", "openblas" }.ToDictionary(b => b, b =>
        {
            var output = Path.Combine(dir.Path, b);
            Pretrain(b, output, 3);
            var run = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "run.json")))!;
            Assert.Equal(b, run["blas"]!["provider"]!.GetValue<string>());
            Assert.Equal(b, run["blas"]!["setting"]!.GetValue<string>());
            var state = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "checkpoints", "step-3", "trainer_state.json")))!;
            Assert.StartsWith(b + " ", state["blas"]!.GetValue<string>());
            var losses = File.ReadLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!)
                .Where(o => o["kind"]!.GetValue<string>() == "train").Select(o => o["loss"]!.GetValue<double>()).ToList();
            return (Losses: losses, Weights: Safetensors.Load(Path.Combine(output, "final", "model.safetensors")));
        });
        var (mkl, open) = (runs["mkl"], runs["openblas"]);
        Assert.Equal(3, mkl.Losses.Count);
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(mkl.Losses[i] - open.Losses[i]) <= 1e-5 * Math.Abs(mkl.Losses[i]), $"step {i + 1}: {mkl.Losses[i]} vs {open.Losses[i]}");
        // Three AdamW steps at lr ≤ 1e-3 move a weight by at most ≈ 3e-3; different rounding of the products may move
        // a weight whose gradient is near zero a little differently, never by more than a small part of that.
        Assert.Equal(mkl.Weights.Keys.Order(), open.Weights.Keys.Order());
        foreach (var (name, w) in mkl.Weights)
            Assert.True(w.allclose(open.Weights[name], rtol: 1e-4, atol: 2e-4), $"{name}: max difference {(w - open.Weights[name]).abs().max().item<float>()}");
    }

    // Four short dnafm pretrain runs (≈ 5 s each on 2 idle cores): the claim is about separate processes, so it needs them.
    [SkippableFact]
    public void A_resume_with_the_same_library_is_bit_exact_and_with_the_other_one_warns()
    {
        Skip.If(OpenBlas is null, NoOpenBlas);
        using var dir = new TempDir("blas-resume");
        string straight = Path.Combine(dir.Path, "straight"), resumed = Path.Combine(dir.Path, "resumed"), other = Path.Combine(dir.Path, "other");
        Pretrain("openblas", straight, 4);
        Pretrain("openblas", resumed, 2);
        CopyDirectory(resumed, other);
        var same = Pretrain("openblas", resumed, 4, "--resume", "auto");
        Assert.DoesNotContain("was trained with BLAS", same.StdErr + same.StdOut);
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "final", "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "final", "model.safetensors")));

        var switched = Pretrain("mkl", other, 4, "--resume", "auto");
        Assert.Matches("the checkpoint was trained with BLAS \"?openblas .*this run uses \"?mkl .*will not be bit-identical", switched.StdErr + switched.StdOut);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to, StringComparison.Ordinal));
    }
}
