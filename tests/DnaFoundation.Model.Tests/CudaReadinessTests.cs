using DnaFoundation.Model.Layers;
using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Tests;

/// <summary>
/// The CUDA-specific decisions (issue 20 part 3) as pure functions, unit-tested here on the CPU; the tests tagged
/// gpu=capable also run on <c>DNAFM_TEST_DEVICE=cuda</c> in benchmarks/gpu/run.sh, and those that only a GPU can
/// check are skipped with "needs CUDA" elsewhere.
/// </summary>
public sealed class CudaReadinessTests
{
    private static readonly CudaCapability H100 = new(9, 0), A100 = new(8, 0), Rtx4090 = new(8, 9), T4 = new(7, 5), P100 = new(6, 0);
    private static readonly SdpSettings Defaults = new();

    private static AttentionCall Call(ScalarType dtype, bool mask, int headDim = 64, double dropout = 0, bool grad = true, DeviceType device = DeviceType.CUDA) =>
        new(device, dtype, headDim, mask, dropout, grad);

    [Fact]
    public void Loader_batches_go_to_a_gpu_through_pinned_memory_without_blocking_and_stay_put_elsewhere()
    {
        Assert.Equal(new HostToDevice.Plan(Pin: true, NonBlocking: true), HostToDevice.For(DeviceType.CPU, DeviceType.CUDA));
        Assert.Equal(new HostToDevice.Plan(false, false), HostToDevice.For(DeviceType.CPU, DeviceType.CPU));
        Assert.Equal(new HostToDevice.Plan(false, false), HostToDevice.For(DeviceType.CUDA, DeviceType.CUDA));
        Assert.Equal(new HostToDevice.Plan(false, false), HostToDevice.For(DeviceType.CUDA, DeviceType.CPU));
    }

    [Fact]
    [Trait(TestDevice.Trait, TestDevice.Capable)]
    public void A_batch_copied_to_the_test_device_holds_the_same_values()
    {
        var device = new Device(TestDevice.Name);
        using var ids = arange(0, 4096, dtype: ScalarType.Int64).view(32, 128);
        using var moved = HostToDevice.Copy(ids, device);
        Assert.Equal(device.type, moved.device_type);
        Assert.True(moved.cpu().eq(ids).all().item<bool>());     // .cpu() waits for the queued copy on the stream
    }

    [Fact]
    public void Flash_runs_on_a_gpu_only_without_a_mask_in_half_precision()
    {
        Assert.Equal(AttentionKernel.Flash, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: false), Defaults, H100));
        Assert.Equal(AttentionKernel.Flash, AttentionKernels.Choose(Call(ScalarType.Float16, mask: false), Defaults, A100));
        // ALiBi's float bias (or padding) rules flash out: the memory-efficient kernel takes any float mask.
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: true), Defaults, H100));
        // fp32 has no flash kernel; memory-efficient runs fp32 too.
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(Call(ScalarType.Float32, mask: false), Defaults, H100));
        // Before Ampere: no flash at all, and no bf16 in the memory-efficient kernel.
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(Call(ScalarType.Float16, mask: false), Defaults, T4));
        Assert.Equal(AttentionKernel.Math, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: true), Defaults, T4));
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(Call(ScalarType.Float32, mask: true), Defaults, P100));
        // Head sizes: the memory-efficient GEMMs want 8 (half) or 4 (fp32) elements; flash takes up to 256.
        Assert.Equal(AttentionKernel.Math, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: true, headDim: 12), Defaults, H100));
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(Call(ScalarType.Float32, mask: true, headDim: 12), Defaults, H100));
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: false, headDim: 320), Defaults, H100));
        // Consumer Ampere/Ada cannot train flash with head_dim in (192, 224].
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: false, headDim: 200), Defaults, Rtx4090));
        Assert.Equal(AttentionKernel.Flash, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: false, headDim: 200, grad: false), Defaults, Rtx4090));
    }

    [Fact]
    public void Switches_and_determinism_steer_the_gpu_choice()
    {
        var call = Call(ScalarType.BFloat16, mask: false);
        Assert.Equal(AttentionKernel.MemoryEfficient, AttentionKernels.Choose(call, Defaults with { FlashEnabled = false }, H100));
        Assert.Equal(AttentionKernel.Math, AttentionKernels.Choose(call, Defaults with { FlashEnabled = false, MemoryEfficientEnabled = false }, H100));
        // Where libtorch puts cuDNN first (sm90, recent cuDNN) it wins, unless deterministic algorithms rule it out.
        Assert.Equal(AttentionKernel.CuDnn, AttentionKernels.Choose(call, Defaults with { CuDnnFirst = true }, H100));
        Assert.Equal(AttentionKernel.Flash, AttentionKernels.Choose(call, Defaults with { CuDnnFirst = true, Deterministic = true }, H100));
        Assert.Throws<InvalidOperationException>(() => AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: true, headDim: 12), Defaults with { MathEnabled = false }, H100));
        Assert.Throws<ArgumentException>(() => AttentionKernels.Choose(call, Defaults));
    }

    [Fact]
    public void The_cpu_runs_its_fused_kernel_unless_attention_dropout_is_on()
    {
        Assert.Equal(AttentionKernel.Flash, AttentionKernels.Choose(Call(ScalarType.Float32, mask: true, device: DeviceType.CPU), Defaults));
        Assert.Equal(AttentionKernel.Flash, AttentionKernels.Choose(Call(ScalarType.BFloat16, mask: false, device: DeviceType.CPU), Defaults));
        Assert.Equal(AttentionKernel.Math, AttentionKernels.Choose(Call(ScalarType.Float32, mask: true, dropout: 0.1, device: DeviceType.CPU), Defaults));
    }

    /// <summary>
    /// The rules against libtorch itself: a real encoder's attention calls, observed through torch._fused_sdp_choice,
    /// take the kernel <see cref="AttentionKernels.Choose"/> names, on the test device (the CPU here, the GPU in the GPU run).
    /// </summary>
    [Theory]
    [Trait(TestDevice.Trait, TestDevice.Capable)]
    [InlineData("fp32", true, 0.0)]
    [InlineData("fp32", false, 0.0)]
    [InlineData("bf16", true, 0.0)]
    [InlineData("bf16", false, 0.0)]
    [InlineData("fp32", false, 0.1)]
    public void The_kernel_libtorch_takes_in_a_forward_pass_is_the_one_the_rules_name(string precision, bool alibi, double attentionDropout)
    {
        var device = new Device(TestDevice.Name);
        var dtype = precision == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        var config = (alibi ? TinyConfigs.MosaicBert : TinyConfigs.Bert) with { HiddenSize = 48, NumAttentionHeads = 6, AttentionProbsDropoutProb = attentionDropout };
        using var model = ModelFactory.Create(config, ModelHeads.MaskedLm, device);
        model.to(dtype);
        model.train();
        model.Encoder.ObserveAttentionKernels = true;
        var (ids, _) = EncoderTests.Batch(config.VocabSize, config.PadTokenId ?? 0);
        using var scope = NewDisposeScope();
        _ = model.Encoder.Run(ids.to(device), null);                        // no padding: a mask only with ALiBi

        var call = new AttentionCall(device.type, dtype, config.HeadDim, HasMask: alibi, attentionDropout, RequiresGrad: true);
        var gpu = device.type == DeviceType.CUDA ? CudaDevices.Capability(Math.Max(0, (int)device.index)) : null;
        var expected = AttentionKernels.Choose(call, SdpSettings.Current(), gpu);
        var observed = model.Encoder.ObservedAttentionKernels;
        Assert.Equal(config.NumHiddenLayers, observed.Count);
        if (observed[0] == AttentionKernel.CuDnn)                            // libtorch put cuDNN first (its version decides)
            expected = AttentionKernels.Choose(call, SdpSettings.Current() with { CuDnnFirst = true }, gpu);
        Assert.All(observed, k => Assert.Equal(expected, k));
    }

    [Fact]
    public void Alibi_tables_are_16_aligned_on_a_gpu_and_exact_elsewhere()
    {
        Assert.Equal(9, AttentionKernels.BiasCapacity(9, DeviceType.CPU));
        Assert.Equal(16, AttentionKernels.BiasCapacity(9, DeviceType.CUDA));
        Assert.Equal(128, AttentionKernels.BiasCapacity(128, DeviceType.CUDA));
        Assert.Equal(528, AttentionKernels.BiasCapacity(513, DeviceType.CUDA));
    }

    [SkippableFact]
    [Trait(TestDevice.Trait, TestDevice.Capable)]
    public void On_a_gpu_the_alibi_view_meets_the_memory_efficient_alignment_and_equals_the_cpu_table()
    {
        TestDevice.SkipUnlessCuda();
        var device = new Device(TestDevice.Name);
        using var cache = new AlibiCache(4);
        var view = cache.Get(9, ScalarType.BFloat16, device);
        Assert.Equal([1L, 4, 9, 9], view.shape);
        Assert.All(view.stride().SkipLast(1), s => Assert.Equal(0, s % 16));
        using var cpu = AlibiBias.Build(4, 9, ScalarType.BFloat16, CPU);
        Assert.True(view.cpu().eq(cpu).all().item<bool>());
    }

    [Fact]
    public void Exact_resume_on_cuda_sets_deterministic_kernels_the_cublas_workspace_and_per_step_reseeding()
    {
        Assert.Equal(new DeterminismPlan(DeviceType.CPU, false, null, false), Determinism.For(DeviceType.CPU, true, null));
        Assert.Equal(new DeterminismPlan(DeviceType.CUDA, true, ":4096:8", true), Determinism.For(DeviceType.CUDA, true, null));
        Assert.Equal(new DeterminismPlan(DeviceType.CUDA, true, ":4096:8", true), Determinism.For(DeviceType.CUDA, true, ":0:0"));
        Assert.Equal(new DeterminismPlan(DeviceType.CUDA, true, null, true), Determinism.For(DeviceType.CUDA, true, ":16:8"));
        // deterministic=false trades kernel determinism for speed; the random stream still resumes exactly.
        Assert.Equal(new DeterminismPlan(DeviceType.CUDA, false, null, true), Determinism.For(DeviceType.CUDA, false, null));
        Assert.Equal("", Determinism.For(DeviceType.CPU, true, null).DeviceRng);
        Assert.StartsWith("cuda: reseeded per step", Determinism.For(DeviceType.CUDA, true, null).DeviceRng);
    }

    [Fact]
    public void Step_seeds_are_a_pure_function_of_seed_rank_and_step_and_differ_between_them()
    {
        Assert.Equal(Determinism.StepSeed(42, 0, 7), Determinism.StepSeed(42, 0, 7));
        var seeds = new HashSet<long>();
        for (long seed = 0; seed < 4; seed++)
            for (int rank = 0; rank < 4; rank++)
                for (long step = 0; step < 64; step++)
                {
                    long s = Determinism.StepSeed(seed, rank, step);
                    Assert.True(s >= 0);
                    seeds.Add(s);
                }
        Assert.Equal(4 * 4 * 64, seeds.Count);
    }

    [Fact]
    public void The_cpu_backend_changes_no_global_setting_for_exact_resume()
    {
        Assert.True(LibTorchContext.Available, "libtorch's context symbols should be reachable on Linux");
        var plan = Determinism.For(CPU, deterministic: true);
        Determinism.Apply(plan);
        Assert.False(LibTorchContext.DeterministicAlgorithms);
    }
}

/// <summary>libtorch's process-wide switches, set and read back through the exported context functions; runs alone.</summary>
[Collection(nameof(SdpBackendCollection))]
public sealed class LibTorchContextTests
{
    [Fact]
    public void Deterministic_algorithms_and_the_attention_switches_are_set_in_libtorch_itself()
    {
        Assert.True(LibTorchContext.Available);
        try
        {
            LibTorchContext.SetDeterministicAlgorithms(true);
            Assert.True(LibTorchContext.DeterministicAlgorithms);
            Assert.True(SdpSettings.Current().Deterministic);
            LibTorchContext.SetMemoryEfficientAttention(false);
            Assert.False(SdpSettings.Current().MemoryEfficientEnabled);
        }
        finally
        {
            LibTorchContext.SetDeterministicAlgorithms(false);
            LibTorchContext.SetMemoryEfficientAttention(true);
        }
        Assert.False(LibTorchContext.DeterministicAlgorithms);
        Assert.True(SdpSettings.Current().MemoryEfficientEnabled);
    }
}
