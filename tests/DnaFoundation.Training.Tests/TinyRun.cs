using DnaFoundation.Model.Runtime;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// configs/train/tiny.json shrunk for tests: 64-token windows, micro-batch 8, one thread, log every step; on the test
/// device (the CPU unless DNAFM_TEST_DEVICE says cuda, as in benchmarks/gpu/run.sh).
/// </summary>
internal static class TinyRun
{
    public static string ConfigPath => Path.Combine(TestPaths.RepoRoot, "configs", "train", "tiny.json");

    // kmer:6 on 67 bp gives 62 tokens + [CLS] + [SEP] = 64.
    public static readonly string[] Fast =
    [
        "max_length=64", "data.window_bp=67", "micro_batch_size=8", "global_batch_size=16", "eval_batches=2",
        "baseline_windows=64", "log_every=1", "eval_every=0", $"device={TestDevice.Name}", "threads=1", "keep_last=5",
        // The recipe says auto (bf16 on CPUs with native bf16): the tests' numbers must not depend on the CPU they run on.
        "precision=fp32",
    ];

    public static TrainerConfig Config(params string[] overrides) => TrainerConfig.Load(ConfigPath, [.. Fast, .. overrides]);

    public static TrainingResult Run(string dir, TrainerConfig cfg, TrainerHooks? hooks = null, string? resume = null, CancellationToken cancel = default) =>
        Pretraining.Run(cfg, new PretrainRequest(dir, resume, Path.GetDirectoryName(ConfigPath), DeviceChoice.Parse(TestDevice.Name, 1)),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, cancel, hooks);

    public static byte[] FinalWeights(string dir) => File.ReadAllBytes(Path.Combine(dir, Trainer.FinalDirectory, "model.safetensors"));

    public static List<System.Text.Json.Nodes.JsonObject> Metrics(string dir, string kind) =>
        Observability.MetricsWriter.Read(Path.Combine(dir, Observability.MetricsWriter.FileName)).Where(o => o["kind"]!.GetValue<string>() == kind).ToList();
}
