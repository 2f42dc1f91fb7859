using DnaFoundation.Training.Data;
using static TorchSharp.torch;

namespace DnaFoundation.Training;

/// <summary>
/// The loss of a model that ignores context: predict every masked token from the token frequencies of training
/// windows (add-one smoothed over ordinary tokens). A masked-LM's validation loss means something only below this.
/// </summary>
public sealed class UnigramBaseline : IDisposable
{
    private readonly Tensor logProbs; // (V) float32

    private UnigramBaseline(Tensor logProbs) => this.logProbs = logProbs;

    public static UnigramBaseline Estimate(IBatchSource trainingWindows, int batches, int vocabSize, IReadOnlyCollection<int> specialIds)
    {
        var counts = new double[vocabSize];
        for (int i = 0; i < batches; i++)
        {
            using var b = trainingWindows.Next();
            foreach (var id in b.InputIds.data<long>()) counts[id]++;
        }
        var ordinary = Enumerable.Range(0, vocabSize).Where(i => !specialIds.Contains(i)).ToList();
        double total = ordinary.Sum(i => counts[i] + 1);
        var lp = new float[vocabSize];
        Array.Fill(lp, float.NegativeInfinity);
        foreach (var i in ordinary) lp[i] = (float)Math.Log((counts[i] + 1) / total);
        return new UnigramBaseline(tensor(lp));
    }

    /// <summary>Σ weight · (−log p(label)) over the given (N) labels and weights (on any device).</summary>
    public Tensor WeightedLoss(Tensor labels, Tensor weights) =>
        -(logProbs.to(labels.device).index(labels) * weights).sum();

    public void Dispose() => logProbs.Dispose();
}
