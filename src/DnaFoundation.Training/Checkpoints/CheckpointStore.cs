using Microsoft.Extensions.Logging;
using System.Globalization;
using DnaFoundation.Core;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Training.Distributed;

namespace DnaFoundation.Training.Checkpoints;

/// <summary>
/// <c>DIR/checkpoints/step-N/</c>: each checkpoint is written into a temporary directory and renamed into place,
/// so a directory named <c>step-N</c> is always complete (a kill mid-write leaves only a <c>.tmp-*</c> that the next
/// save removes). After each save only the last <c>keep_last</c> checkpoints and the best by validation loss stay.
/// </summary>
public sealed class CheckpointStore
{
    public const string Prefix = "step-";
    private const string TempPrefix = ".tmp-";

    private readonly ICommunicator communicator;

    public CheckpointStore(string runDirectory, int keepLast, ICommunicator? communicator = null)
    {
        if (keepLast < 1) throw new ArgumentOutOfRangeException(nameof(keepLast), "keep at least one checkpoint");
        Root = Path.Combine(runDirectory, "checkpoints");
        KeepLast = keepLast;
        this.communicator = communicator ?? SingleProcessCommunicator.Instance;
    }

    public string Root { get; }

    public int KeepLast { get; }

    public string PathFor(long step) => Path.Combine(Root, Prefix + step.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Writes checkpoint <paramref name="step"/>: every rank calls this; <paramref name="writeRank"/> runs on every
    /// rank (its own files), <paramref name="writeShared"/> on rank 0 only (weights, optimizer, trainer state), then
    /// rank 0 renames the directory into place and prunes old checkpoints. Returns the final path.
    /// </summary>
    /// <remarks>
    /// Rank 0 seals the checkpoint with a <see cref="CheckpointManifest"/> (size and sha256 of every file) before the
    /// rename. A write that fails (disk full, an I/O error) removes the partial folder and stops the run with a
    /// message naming the checkpoint and the last intact one; the earlier checkpoints are never touched.
    /// </remarks>
    public string Save(long step, Action<string> writeShared, Action<string>? writeRank = null)
    {
        var final = PathFor(step);
        var temp = Path.Combine(Root, TempPrefix + Prefix + step.ToString(CultureInfo.InvariantCulture));
        if (communicator.IsRoot)
        {
            Guarded(step, temp, () =>
            {
                Directory.CreateDirectory(Root);
                foreach (var stale in Directory.EnumerateDirectories(Root, TempPrefix + "*"))
                    Directory.Delete(stale, recursive: true);
                Directory.CreateDirectory(temp);
            });
        }
        communicator.Barrier();
        if (writeRank is not null) Guarded(step, temp, () => writeRank(temp));
        communicator.Barrier();
        if (communicator.IsRoot)
        {
            Guarded(step, temp, () =>
            {
                writeShared(temp);
                BeforeSeal?.Invoke(temp);
                CheckpointManifest.Write(temp);
            });
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temp, final);
            Prune();
        }
        communicator.Barrier();
        return final;
    }

    /// <summary>Tests: called with the temporary folder after the writers, before the manifest (to inject a fault).</summary>
    internal Action<string>? BeforeSeal { get; set; }

    private void Guarded(long step, string temp, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || (e is System.Runtime.InteropServices.ExternalException && !e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)))
        {
            try { if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            string? good;
            try { good = NewestIntact(this, log: null, required: false); }
            catch (DnaInputException) { good = null; }           // every earlier checkpoint is damaged too
            throw new TrainingStoppedException(
                $"{PathFor(step)}: could not write the checkpoint of step {step}: {e.Message.Split('\n')[0]}; " +
                (good is null ? "there is no intact earlier checkpoint" : $"the previous checkpoint {good} is intact (resume from it, resume = auto, once there is room)"));
        }
    }

    /// <summary>Complete checkpoints, oldest first.</summary>
    public IReadOnlyList<(long Step, string Path)> List()
    {
        if (!Directory.Exists(Root)) return [];
        var result = new List<(long, string)>();
        foreach (var dir in Directory.EnumerateDirectories(Root, Prefix + "*"))
        {
            var name = Path.GetFileName(dir);
            if (long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step)
                && File.Exists(Path.Combine(dir, TrainerState.FileName)))
                result.Add((step, dir));
        }
        result.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }

    public string? Latest() => List() is { Count: > 0 } all ? all[^1].Path : null;

    /// <summary>The checkpoint with the lowest validation loss, if any has one.</summary>
    public string? Best()
    {
        string? best = null;
        double bestLoss = double.PositiveInfinity;
        foreach (var (_, path) in List())
        {
            var loss = TrainerState.Read(Path.Combine(path, TrainerState.FileName)).ValidationLoss;
            if (loss is double l && l < bestLoss)
            {
                bestLoss = l;
                best = path;
            }
        }
        return best;
    }

    /// <summary>Deletes all but the newest <see cref="KeepLast"/> and the best.</summary>
    public void Prune()
    {
        var all = List();
        var keep = new HashSet<string>(all.Skip(Math.Max(0, all.Count - KeepLast)).Select(c => c.Path));
        if (Best() is string best) keep.Add(best);
        foreach (var (_, path) in all)
            if (!keep.Contains(path)) Directory.Delete(path, recursive: true);
    }

    /// <summary>
    /// <c>--resume auto</c>: the latest checkpoint under <paramref name="runDirectory"/>, or null to start fresh.
    /// <c>--resume PATH</c>: that checkpoint directory (or a run directory, meaning its latest), which must exist.
    /// Every checkpoint is checked against its manifest first: <c>auto</c> skips damaged ones (newest first) and logs
    /// which and why; a named checkpoint that is damaged is an error naming the file.
    /// </summary>
    public static string? Resolve(string? resume, string runDirectory, int keepLast = 1, ILogger? log = null)
    {
        if (string.IsNullOrEmpty(resume) || resume == "never") return null;
        if (resume == "auto") return NewestIntact(new CheckpointStore(runDirectory, keepLast), log, required: false);
        if (File.Exists(Path.Combine(resume, TrainerState.FileName)))
        {
            CheckpointManifest.Verify(resume);
            return resume;
        }
        if (Directory.Exists(resume) && new CheckpointStore(resume, keepLast).Latest() is not null)
            return NewestIntact(new CheckpointStore(resume, keepLast), log, required: true);
        throw new DnaInputException($"resume: '{resume}' is not a checkpoint directory (no {TrainerState.FileName}) nor a run directory with checkpoints");
    }

    /// <summary>The newest checkpoint whose files match its manifest; the damaged ones passed over are logged.</summary>
    private static string? NewestIntact(CheckpointStore store, ILogger? log, bool required)
    {
        var all = store.List();
        var damaged = new List<string>();
        for (int i = all.Count - 1; i >= 0; i--)
        {
            var problems = CheckpointManifest.Problems(all[i].Path);
            if (problems.Count == 0)
            {
                if (damaged.Count > 0)
                    log?.LogWarning("resuming from {Checkpoint}, the newest intact checkpoint; passed over damaged: {Damaged}", all[i].Path, string.Join("; ", damaged));
                return all[i].Path;
            }
            damaged.Add(string.Join(", ", problems));
        }
        if (damaged.Count > 0)
            throw new DnaInputException($"no intact checkpoint to resume from: {string.Join("; ", damaged)}", store.Root);
        return required ? throw new DnaInputException("no checkpoint to resume from", store.Root) : null;
    }
}
