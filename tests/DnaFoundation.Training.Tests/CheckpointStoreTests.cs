using DnaFoundation.TestSupport;
using DnaFoundation.Training.Checkpoints;

namespace DnaFoundation.Training.Tests;

public class CheckpointStoreTests
{
    private static void Save(CheckpointStore store, long step, double? validationLoss) =>
        store.Save(step, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "model.safetensors"), "weights " + step);
            new TrainerState { Step = step, ValidationLoss = validationLoss }.Write(Path.Combine(dir, TrainerState.FileName));
        });

    [Fact]
    public void Keeps_the_last_K_and_the_best_by_validation_loss()
    {
        using var run = new TempDir("ckpt");
        var store = new CheckpointStore(run.Path, keepLast: 2);
        Save(store, 100, 3.0);
        Save(store, 200, 2.0);   // best
        Save(store, 300, 2.5);
        Save(store, 400, 2.6);
        Assert.Equal(new long[] { 200, 300, 400 }, store.List().Select(c => c.Step));
        Assert.Equal(store.PathFor(200), store.Best());
        Assert.Equal(store.PathFor(400), store.Latest());
        Assert.Equal("weights 400", File.ReadAllText(Path.Combine(store.PathFor(400), "model.safetensors")));
        Assert.Empty(Directory.EnumerateDirectories(store.Root, ".tmp-*"));
    }

    [Fact]
    public void A_write_that_dies_midway_leaves_no_checkpoint_and_is_cleaned_up_by_the_next_save()
    {
        using var run = new TempDir("ckpt");
        var store = new CheckpointStore(run.Path, keepLast: 3);
        Save(store, 10, null);
        Assert.Throws<TrainingStoppedException>(() => store.Save(20, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "model.safetensors"), "half");
            throw new IOException("disk full");
        }));
        Assert.Equal(new long[] { 10 }, store.List().Select(c => c.Step));   // the half-written step-20 is invisible
        Assert.Equal(store.PathFor(10), CheckpointStore.Resolve("auto", run.Path));
        Save(store, 30, null);
        Assert.Empty(Directory.EnumerateDirectories(store.Root, ".tmp-*"));
        Assert.Equal(new long[] { 10, 30 }, store.List().Select(c => c.Step));
    }

    [Fact]
    public void Resume_auto_starts_fresh_without_checkpoints_and_an_explicit_path_must_exist()
    {
        using var run = new TempDir("ckpt");
        Assert.Null(CheckpointStore.Resolve("auto", run.Path));
        Assert.Null(CheckpointStore.Resolve(null, run.Path));
        Assert.Throws<Core.DnaInputException>(() => CheckpointStore.Resolve(Path.Combine(run.Path, "nope"), run.Path));
        var store = new CheckpointStore(run.Path, 1);
        Save(store, 5, null);
        Assert.Equal(store.PathFor(5), CheckpointStore.Resolve(store.PathFor(5), "elsewhere"));
        Assert.Equal(store.PathFor(5), CheckpointStore.Resolve(run.Path, "elsewhere"));
    }
}
