using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Precision;
using Serilog.Core;
using Serilog.Events;
using static TorchSharp.torch;

namespace DnaFoundation.Training.Tests;

public class PrecisionHardwareTests
{
    private static readonly HashSet<string> Avx2 = ["fpu", "sse4_2", "avx", "fma", "avx2"];

    private static HashSet<string> With(params string[] more) => [.. Avx2, .. more];

    [Fact]
    public void Half_precision_on_a_cpu_without_native_matrix_instructions_is_warned_about()
    {
        var bf16 = PrecisionHardware.Warning(PrecisionMode.Bf16, CPU, Avx2);
        Assert.NotNull(bf16);
        Assert.Contains("precision bf16 on a CPU without native bf16 matrix instructions (none of avx512_bf16, amx_bf16", bf16);
        Assert.Contains("use precision fp32", bf16);
        Assert.Contains("avx512_fp16, amx_fp16", PrecisionHardware.Warning(PrecisionMode.Fp16, CPU, Avx2));
    }

    [Fact]
    public void Fp32_native_half_precision_a_gpu_or_unknown_flags_give_no_warning()
    {
        Assert.Null(PrecisionHardware.Warning(PrecisionMode.Fp32, CPU, Avx2));
        Assert.Null(PrecisionHardware.Warning(PrecisionMode.Bf16, CPU, With("avx512f", "avx512_bf16")));
        Assert.Null(PrecisionHardware.Warning(PrecisionMode.Bf16, CPU, With("amx_bf16")));
        Assert.Null(PrecisionHardware.Warning(PrecisionMode.Fp16, CPU, With("avx512_fp16")));
        Assert.Null(PrecisionHardware.Warning(PrecisionMode.Bf16, new Device(TorchSharp.DeviceType.CUDA, 0), Avx2));
        Assert.Null(PrecisionHardware.Warning(PrecisionMode.Bf16, CPU, new HashSet<string>()));
    }

    [Fact]
    public void On_a_gpu_bf16_needs_ampere_fp16_needs_volta_and_only_fp16_scales_the_loss()
    {
        Assert.Null(PrecisionHardware.CudaWarning(PrecisionMode.Bf16, new CudaCapability(9, 0)));
        Assert.Null(PrecisionHardware.CudaWarning(PrecisionMode.Bf16, new CudaCapability(8, 0)));
        Assert.Contains("precision bf16 on a sm_75 GPU", PrecisionHardware.CudaWarning(PrecisionMode.Bf16, new CudaCapability(7, 5)));
        Assert.Null(PrecisionHardware.CudaWarning(PrecisionMode.Fp16, new CudaCapability(7, 0)));
        Assert.Contains("precision fp16 on a sm_61 GPU", PrecisionHardware.CudaWarning(PrecisionMode.Fp16, new CudaCapability(6, 1)));
        Assert.Null(PrecisionHardware.CudaWarning(PrecisionMode.Fp32, new CudaCapability(6, 1)));
        Assert.Null(PrecisionHardware.CudaWarning(PrecisionMode.Bf16, null));
        // bf16 keeps fp32's exponent range, so no loss scaling on any device; fp16 needs it on any device.
        Assert.False(new PrecisionPolicy(PrecisionMode.Bf16).UsesLossScaling);
        Assert.True(new PrecisionPolicy(PrecisionMode.Fp16).UsesLossScaling);
        Assert.True(new PrecisionPolicy(PrecisionMode.Bf16).UsesMasterWeights);
    }

    [Fact]
    public void This_machines_flags_are_read_from_proc_cpuinfo()
    {
        Assert.Contains("sse2", CpuFeatures.Flags);      // every x86-64 CPU; the suite runs on Linux x86-64
        Assert.DoesNotContain("flags", CpuFeatures.Flags);
    }

    [Fact]
    public void A_bf16_pretraining_run_logs_the_warning_exactly_when_this_cpu_lacks_native_bf16()
    {
        using var dir = new TempDir();
        var events = new List<LogEvent>();
        using var log = new Serilog.LoggerConfiguration().WriteTo.Sink(new ListSink(events)).CreateLogger();
        var cfg = TinyRun.Config("precision=bf16", "max_steps=1", "eval_every=0", "checkpoint_every=1000");
        var result = Pretraining.Run(cfg, new PretrainRequest(dir.Path, null, Path.GetDirectoryName(TinyRun.ConfigPath), DeviceChoice.Parse("cpu", 1)), log.ToLibraryLogger(), null, default);
        Assert.Equal(TrainingStatus.Completed, result.Status);
        bool native = CpuFeatures.Flags.Contains("avx512_bf16") || CpuFeatures.Flags.Contains("amx_bf16");
        var warnings = events.Where(e => e.Level == LogEventLevel.Warning).Select(e => e.RenderMessage()).ToList();
        Assert.Equal(native ? 0 : 1, warnings.Count(w => w.Contains("precision bf16 on a CPU without native bf16", StringComparison.Ordinal)));
    }

    internal sealed class ListSink(List<LogEvent> events) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (events) events.Add(logEvent);
        }
    }
}
