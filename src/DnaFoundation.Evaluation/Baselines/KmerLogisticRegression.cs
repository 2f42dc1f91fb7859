using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Baselines;

/// <summary>Options of the k-mer baseline; recorded beside its results.</summary>
public sealed record KmerLogisticOptions(int K = 5, double L2 = 1e-4, int MaxIterations = 400, double LearningRate = 0.05, int Seed = 0);

/// <summary>
/// The classic non-neural baseline for sequence labels: canonical k-mer frequencies, z-scored on the training set,
/// then one logistic regression per label (a sigmoid over a linear map, L2-penalised), trained full-batch with Adam.
/// The iteration with the lowest dev loss is kept. Binary GUE tasks are the one-label case.
/// </summary>
public sealed class KmerLogisticRegression
{
    private readonly KmerFeatures features;
    private readonly float[] mean, scale;
    private readonly float[,] weights;   // (F, L)
    private readonly float[] bias;       // (L)

    public KmerLogisticOptions Options { get; }
    public int BestIteration { get; }

    private KmerLogisticRegression(KmerLogisticOptions options, KmerFeatures features, float[] mean, float[] scale, float[,] weights, float[] bias, int best)
    {
        Options = options;
        this.features = features;
        this.mean = mean;
        this.scale = scale;
        this.weights = weights;
        this.bias = bias;
        BestIteration = best;
    }

    /// <param name="labels">(N, L) 0/1.</param>
    public static KmerLogisticRegression Fit(
        IReadOnlyList<string> train, byte[,] labels, IReadOnlyList<string> dev, byte[,] devLabels, KmerLogisticOptions o)
    {
        var kf = new KmerFeatures(o.K);
        var x = Featurize(kf, train);
        int n = train.Count, f = kf.Count, l = labels.GetLength(1);
        var mean = new float[f];
        var scale = new float[f];
        for (int j = 0; j < f; j++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < n; i++) m += x[i * f + j];
            m /= n;
            for (int i = 0; i < n; i++) v += (x[i * f + j] - m) * (x[i * f + j] - m);
            mean[j] = (float)m;
            scale[j] = (float)(v > 0 ? 1 / Math.Sqrt(v / n) : 0);
        }
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)o.Seed);
        var xt = Standardize(tensor(x, [n, f]), mean, scale);
        var yt = tensor(ToFloat(labels), [n, l]);
        var xd = Standardize(tensor(Featurize(kf, dev), [dev.Count, f]), mean, scale);
        var yd = tensor(ToFloat(devLabels), [dev.Count, l]);
        var w = nn.Parameter(randn([f, l], generator: gen) * 0.01);
        var b = nn.Parameter(zeros(l));
        var opt = optim.Adam([w, b], o.LearningRate);
        float bestLoss = float.PositiveInfinity;
        int best = 0;
        Tensor bestW = w.detach().clone(), bestB = b.detach().clone();
        for (int it = 1; it <= o.MaxIterations; it++)
        {
            using var step = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.binary_cross_entropy_with_logits(xt.matmul(w) + b, yt) + o.L2 * w.pow(2).sum();
            loss.backward();
            opt.step();
            using var noGrad = no_grad();
            float devLoss = nn.functional.binary_cross_entropy_with_logits(xd.matmul(w) + b, yd).item<float>();
            if (devLoss < bestLoss)
            {
                bestLoss = devLoss;
                best = it;
                bestW.copy_(w);
                bestB.copy_(b);
            }
        }
        var wArr = new float[f, l];
        var flat = bestW.data<float>().ToArray();
        for (int i = 0; i < f; i++) for (int j = 0; j < l; j++) wArr[i, j] = flat[i * l + j];
        return new KmerLogisticRegression(o, kf, mean, scale, wArr, bestB.data<float>().ToArray(), best);
    }

    /// <summary>(N, L) probabilities.</summary>
    public float[,] PredictProbabilities(IReadOnlyList<string> sequences)
    {
        int f = features.Count, l = bias.Length;
        var row = new float[f];
        var result = new float[sequences.Count, l];
        for (int i = 0; i < sequences.Count; i++)
        {
            features.Featurize(sequences[i], row);
            for (int j = 0; j < l; j++)
            {
                double z = bias[j];
                for (int k = 0; k < f; k++) z += (row[k] - mean[k]) * scale[k] * weights[k, j];
                result[i, j] = (float)(1 / (1 + Math.Exp(-z)));
            }
        }
        return result;
    }

    private static float[] Featurize(KmerFeatures kf, IReadOnlyList<string> sequences)
    {
        var x = new float[sequences.Count * kf.Count];
        Parallel.For(0, sequences.Count, i => kf.Featurize(sequences[i], x.AsSpan(i * kf.Count, kf.Count)));
        return x;
    }

    private static Tensor Standardize(Tensor x, float[] mean, float[] scale) => (x - tensor(mean)) * tensor(scale);

    private static float[] ToFloat(byte[,] labels)
    {
        int n = labels.GetLength(0), l = labels.GetLength(1);
        var y = new float[n * l];
        for (int i = 0; i < n; i++) for (int j = 0; j < l; j++) y[i * l + j] = labels[i, j];
        return y;
    }
}
