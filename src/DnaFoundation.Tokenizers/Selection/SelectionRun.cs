using System.Numerics;
using System.Runtime.InteropServices;
using DnaFoundation.Core;
using DnaFoundation.Tokenizers.Bpe;

namespace DnaFoundation.Tokenizers.Selection;

/// <summary>
/// One GROVER-style selection run: input streams in, is cut into windows, every n-th window is held out for scoring
/// (never trained on), the rest feeds BPE training (up to the largest cycle) and, sampled, the next-k-mer counts.
/// </summary>
public sealed class SelectionRun
{
    private readonly SelectionOptions options;
    private readonly BpeTrainer trainer;
    private readonly Reservoir<string> scoreWindows, heldOutWindows;
    private readonly char[] window;
    private int windowLength;
    private long windowIndex;

    public SelectionRun(SelectionOptions options, BpeTrainerOptions trainerOptions)
    {
        this.options = options;
        int maxCycle = options.Cycles.DefaultIfEmpty(0).Max();
        if (maxCycle <= 0) throw new DnaInputException("cycles must include a positive number of merges");
        trainer = new BpeTrainer(trainerOptions with { VocabSize = trainerOptions.SpecialTokens.Count + 4 + maxCycle });
        scoreWindows = new Reservoir<string>((int)Math.Min(int.MaxValue, options.ScoreBases / options.WindowLength), options.Seed);
        heldOutWindows = new Reservoir<string>((int)Math.Min(int.MaxValue, options.HeldOutBases / options.WindowLength), options.Seed + 1);
        window = new char[options.WindowLength];
    }

    public void Add(ReadOnlySpan<char> piece, string? sequenceName = null, string? source = null) =>
        AddAny(MemoryMarshal.Cast<char, ushort>(piece), sequenceName, source);

    public void Add(ReadOnlySpan<byte> piece, string? sequenceName = null, string? source = null) => AddAny(piece, sequenceName, source);

    private void AddAny<T>(ReadOnlySpan<T> piece, string? sequenceName, string? source) where T : unmanaged, IBinaryInteger<T>
    {
        while (piece.Length > 0)
        {
            int take = Math.Min(piece.Length, window.Length - windowLength);
            for (int i = 0; i < take; i++) window[windowLength + i] = (char)ushort.CreateTruncating(piece[i]);
            windowLength += take;
            piece = piece[take..];
            if (windowLength == window.Length) EndWindow(sequenceName, source);
        }
    }

    public void EndSequence(string? sequenceName = null, string? source = null) => EndWindow(sequenceName, source);

    private void EndWindow(string? sequenceName, string? source)
    {
        if (windowLength == 0) return;
        var text = new string(window, 0, windowLength);
        windowLength = 0;
        if (windowIndex++ % options.HeldOutEvery == options.HeldOutEvery - 1)
        {
            DnaAlphabet.Normalize(text, new byte[text.Length], [], AmbiguousBasePolicy.MapToN, sequenceName, source); // same checks as training input
            heldOutWindows.Add(text);
            return;
        }
        trainer.Corpus.Add(text, sequenceName, source);
        trainer.Corpus.EndSequence();
        scoreWindows.Add(text);
    }

    /// <summary>Trains to the largest cycle, scores every cycle, and returns the report and the chosen cycle's tokenizer.</summary>
    public (SelectionReport Report, DnaBpeTokenizer Chosen, BpeTrainingResult Training) Run(IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        EndWindow(null, null);
        if (heldOutWindows.Items.Count == 0) throw new DnaInputException($"input too short: no held-out window (one in {options.HeldOutEvery} windows of {options.WindowLength} bp)");
        var training = trainer.Train(progress, cancellationToken);
        var report = VocabularySelector.Evaluate(training.Tokenizer, scoreWindows.Items, heldOutWindows.Items, options, progress, cancellationToken);
        return (report, training.Tokenizer.WithFirstMerges(report.Chosen.Cycle), training);
    }
}
