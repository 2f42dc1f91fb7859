using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Precision;
using TorchSharp;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// <c>precision: auto</c>: bf16 with float32 master weights where the hardware computes bf16 natively, fp32 elsewhere;
/// decided in one place (<see cref="PrecisionPolicy.Resolve"/>) from the CPU flags, logged and recorded.
/// </summary>
[Collection(Distributed.TorchGlobalStateCollection.Name)]
public class PrecisionAutoTests
{
    // The matrix-relevant flags of the two CPU kinds the project runs on, as /proc/cpuinfo lists them.
    private static readonly HashSet<string> Zen3 = ["fpu", "sse2", "sse4_2", "avx", "f16c", "fma", "avx2", "bmi2", "sha_ni", "vaes", "vpclmulqdq"];
    private static readonly HashSet<string> Zen4 = [.. Zen3, "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16", "avx512_vnni", "avx512_vbmi2"];
    private static readonly HashSet<string> SapphireRapids = [.. Zen3, "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"];
    private static readonly HashSet<string> SkylakeX = [.. Zen3, "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni"];

    [Fact]
    public void Auto_is_bf16_on_cpus_with_native_bf16_and_fp32_on_the_others()
    {
        var zen4 = PrecisionPolicy.Resolve(PrecisionMode.Auto, DeviceType.CPU, Zen4, cudaSupportsBf16: false);
        Assert.Equal(PrecisionMode.Bf16, zen4.Mode);
        Assert.Equal(PrecisionMode.Auto, zen4.Requested);
        Assert.Equal("auto: the CPU has native bf16 (avx512_bf16)", zen4.Reason);
        Assert.True(zen4.UsesMasterWeights);
        Assert.Equal("bf16 (auto: the CPU has native bf16 (avx512_bf16))", zen4.Description);

        Assert.Equal(PrecisionMode.Bf16, PrecisionPolicy.Resolve(PrecisionMode.Auto, DeviceType.CPU, SapphireRapids, false).Mode);

        foreach (var flags in new[] { Zen3, SkylakeX })                 // AVX2, and AVX-512 without its bf16 extension
        {
            var p = PrecisionPolicy.Resolve(PrecisionMode.Auto, DeviceType.CPU, flags, cudaSupportsBf16: false);
            Assert.Equal(PrecisionMode.Fp32, p.Mode);
            Assert.Equal("auto: the CPU has no native bf16 (none of avx512_bf16, amx_bf16)", p.Reason);
            Assert.False(p.UsesMasterWeights);
        }
    }

    [Fact]
    public void Auto_on_a_gpu_follows_its_bf16_support_and_explicit_modes_pass_through()
    {
        Assert.Equal(PrecisionMode.Bf16, PrecisionPolicy.Resolve(PrecisionMode.Auto, DeviceType.CUDA, Zen3, cudaSupportsBf16: true).Mode);
        Assert.Equal(PrecisionMode.Fp32, PrecisionPolicy.Resolve(PrecisionMode.Auto, DeviceType.CUDA, Zen4, cudaSupportsBf16: false).Mode);
        foreach (var mode in new[] { PrecisionMode.Fp32, PrecisionMode.Bf16, PrecisionMode.Fp16 })
        {
            var p = PrecisionPolicy.Resolve(mode, DeviceType.CPU, Zen3, false);
            Assert.Equal(mode, p.Mode);
            Assert.Equal("as configured", p.Reason);
        }
        Assert.Throws<ArgumentException>(() => new PrecisionPolicy(PrecisionMode.Auto));
        Assert.Null(PrecisionHardware.Warning(PrecisionMode.Auto, torch.CPU, Zen3));   // auto never picks what the CPU emulates
    }

    [Fact]
    public void Every_recipe_trains_with_precision_auto()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "configs", "train"), "*.json"))
            Assert.True(TrainerConfig.Load(file).Precision == PrecisionMode.Auto, $"{Path.GetFileName(file)}: precision {TrainerConfig.Load(file).Precision}");
        Assert.Throws<DnaInputException>(() => TrainerConfig.Load(TinyRun.ConfigPath, ["precision=fastest"]));
    }

    [Fact]
    public void A_pretraining_run_with_precision_auto_computes_records_and_logs_what_this_cpu_supports()
    {
        using var dir = new TempDir("precision-auto");
        var events = new List<Serilog.Events.LogEvent>();
        using (var log = new Serilog.LoggerConfiguration().WriteTo.Sink(new PrecisionHardwareTests.ListSink(events)).CreateLogger())
            Pretraining.Run(TinyRun.Config("precision=auto", "max_steps=1", "checkpoint_every=1"),
                new PretrainRequest(dir.Path, null, Path.GetDirectoryName(TinyRun.ConfigPath), DeviceChoice.Parse("cpu", 1)), log.ToLibraryLogger(), null, default);
        bool native = CpuFeatures.Flags.Contains("avx512_bf16") || CpuFeatures.Flags.Contains("amx_bf16");
        string expected = native ? "bf16" : "fp32";
        var state = TrainerState.Read(Path.Combine(dir.Path, "checkpoints", "step-1", TrainerState.FileName));
        Assert.Equal(expected, state.Precision);
        var run = JsonNode.Parse(File.ReadAllText(dir.File("run.json")))!;
        Assert.Equal("auto", run["precision"]!["requested"]!.GetValue<string>());
        Assert.Equal(expected, run["precision"]!["resolved"]!.GetValue<string>());
        Assert.StartsWith(native ? "auto: the CPU has native bf16" : "auto: the CPU has no native bf16", run["precision"]!["reason"]!.GetValue<string>());
        Assert.Equal("auto", run["config"]!["precision"]!.GetValue<string>());          // the config as written, beside what it became
        Assert.Contains(events, e => e.RenderMessage().Contains($"precision \"{expected} (auto: the CPU has", StringComparison.Ordinal));
    }
}
