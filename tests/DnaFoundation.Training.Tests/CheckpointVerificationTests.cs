using System.Security.Cryptography;
using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.TestSupport;
using DnaFoundation.Training.Checkpoints;
using Serilog.Core;
using Serilog.Events;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// Every checkpoint carries manifest.json (size + sha256 of each file); resume and model loading check it, a
/// damaged file is named, <c>--resume auto</c> falls back to the newest intact checkpoint and says so, and a save
/// that fails (an injected I/O fault, as a full disk would give) leaves the previous checkpoint intact.
/// </summary>
public class CheckpointVerificationTests
{
    private static string Save(CheckpointStore store, long step) =>
        store.Save(step, dir =>
        {
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), RandomNumberGenerator.GetBytes(4096));
            new TrainerState { Step = step }.Write(Path.Combine(dir, TrainerState.FileName));
        });

    [Fact]
    public void The_manifest_lists_every_file_with_its_size_and_sha256()
    {
        using var run = new TempDir("ckpt");
        var dir = Save(new CheckpointStore(run.Path, keepLast: 2), 10);
        var entries = CheckpointManifest.Read(dir)!;
        Assert.Equal(["model.safetensors", TrainerState.FileName], entries.Select(e => e.Path).Order(StringComparer.Ordinal));
        foreach (var e in entries)
        {
            var bytes = File.ReadAllBytes(Path.Combine(dir, e.Path));
            Assert.Equal(bytes.LongLength, e.Bytes);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), e.Sha256);
        }
        Assert.Empty(CheckpointManifest.Problems(dir));
    }

    [Fact]
    public void Resume_auto_passes_over_a_corrupted_newest_checkpoint_and_logs_which_and_why()
    {
        using var run = new TempDir("ckpt");
        var store = new CheckpointStore(run.Path, keepLast: 3);
        var older = Save(store, 10);
        var newest = Save(store, 20);
        var weights = Path.Combine(newest, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[100] ^= 0x40;                                         // one flipped bit, same size
        File.WriteAllBytes(weights, bytes);

        var events = new List<LogEvent>();
        using var log = new Serilog.LoggerConfiguration().WriteTo.Sink(new ListSink(events)).CreateLogger();
        Assert.Equal(older, CheckpointStore.Resolve("auto", run.Path, log: log.ToLibraryLogger()));
        var warning = Assert.Single(events, e => e.Level == LogEventLevel.Warning).RenderMessage();
        Assert.Contains(older, warning);
        Assert.Contains(weights, warning);
        Assert.Contains("corrupted", warning);

        // Named explicitly, the damaged checkpoint is refused with the file named.
        var e = Assert.Throws<DnaInputException>(() => CheckpointStore.Resolve(newest, run.Path));
        Assert.Contains($"{weights}: corrupted", e.Message);
    }

    [Fact]
    public void A_truncated_file_is_reported_by_name_and_no_intact_checkpoint_is_an_error_not_a_fresh_start()
    {
        using var run = new TempDir("ckpt");
        var only = Save(new CheckpointStore(run.Path, keepLast: 1), 5);
        var state = Path.Combine(only, TrainerState.FileName);
        var text = File.ReadAllText(state);
        File.WriteAllText(state, text[..(text.Length / 2)]);
        var e = Assert.Throws<DnaInputException>(() => CheckpointStore.Resolve("auto", run.Path));
        Assert.Contains($"{state}: truncated", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_save_that_fails_midway_leaves_the_previous_checkpoint_intact_and_says_so()
    {
        using var run = new TempDir("ckpt");
        var store = new CheckpointStore(run.Path, keepLast: 1);   // keep_last 1: a failed save must not prune the only good one
        var good = Save(store, 10);
        store.BeforeSeal = dir =>
        {
            using (var f = File.OpenWrite(Path.Combine(dir, "model.safetensors"))) f.SetLength(100);   // a half-written file…
            throw new IOException("No space left on device");                                         // …then the disk is full
        };
        var e = Assert.Throws<TrainingStoppedException>(() => Save(store, 20));
        Assert.Contains("No space left on device", e.Message);
        Assert.Contains($"the previous checkpoint {good} is intact", e.Message);
        Assert.Equal([10L], store.List().Select(c => c.Step));
        Assert.Empty(Directory.EnumerateDirectories(store.Root, ".tmp-*"));
        Assert.Empty(CheckpointManifest.Problems(good));
        Assert.Equal(good, CheckpointStore.Resolve("auto", run.Path));
    }

    [Fact]
    public void A_pretraining_run_whose_checkpoint_save_fails_stops_with_a_clear_message_and_resumes_from_the_last_good_one()
    {
        using var dir = new TempDir("ckpt-run");
        var cfg = TinyRun.Config("max_steps=4", "checkpoint_every=2");
        int saves = 0;
        var hooks = new TrainerHooks
        {
            BeforeCheckpointSeal = temp =>
            {
                if (++saves == 2) throw new IOException("No space left on device");   // the step-4 checkpoint
            },
        };
        var e = Assert.Throws<TrainingStoppedException>(() => TinyRun.Run(dir.Path, cfg, hooks));
        var store = new CheckpointStore(dir.Path, cfg.KeepLast);
        Assert.StartsWith(store.PathFor(4) + ": could not write the checkpoint of step 4: No space left on device", e.Message);
        Assert.Contains($"the previous checkpoint {store.PathFor(2)} is intact", e.Message);
        Assert.Equal([2L], store.List().Select(c => c.Step));

        // The final model and every checkpoint carry a manifest; the resumed run verifies step-2 and finishes.
        var result = TinyRun.Run(dir.Path, cfg, resume: "auto");
        Assert.Equal(TrainingStatus.Completed, result.Status);
        Assert.Empty(CheckpointManifest.Problems(store.PathFor(4)));
        var final = Path.Combine(dir.Path, Trainer.FinalDirectory);
        Assert.NotNull(CheckpointManifest.Read(final));

        // Loading the final model checks its manifest too: a damaged weights file is named.
        var weights = Path.Combine(final, ModelDirectory.WeightsFile);
        using (var f = File.OpenWrite(weights)) f.SetLength(f.Length - 8);
        var load = Assert.Throws<DnaInputException>(() => ModelDirectory.Load(final));
        Assert.Contains($"{weights}: truncated", load.Message);
    }

    private sealed class ListSink(List<LogEvent> events) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (events) events.Add(logEvent);
        }
    }
}
