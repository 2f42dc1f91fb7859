namespace DnaFoundation.Evaluation.Metrics;

/// <summary>
/// Every metric of one evaluation of a single-label classifier. MCC is the headline (as in the DNABERT-2 paper);
/// AUROC/AUPRC use P(class 1) for two classes and the unweighted one-vs-rest mean for more (NaN where undefined).
/// </summary>
public sealed record ClassificationReport(
    double Mcc, double F1, double Accuracy, double Precision, double Recall, double Auroc, double Auprc, int Count)
{
    /// <param name="truth">(N) class index per example.</param>
    /// <param name="probabilities">(N, C) row-normalised class probabilities.</param>
    public static ClassificationReport From(int[] truth, float[,] probabilities)
    {
        int n = truth.Length, c = probabilities.GetLength(1);
        if (probabilities.GetLength(0) != n) throw new ArgumentException($"{n} labels but {probabilities.GetLength(0)} probability rows");
        var predicted = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int k = 1; k < c; k++) if (probabilities[i, k] > probabilities[i, best]) best = k;
            predicted[i] = best;
        }
        double auroc = 0, auprc = 0;
        int scored = 0;
        for (int k = c == 2 ? 1 : 0; k < c; k++)
        {
            var isK = new bool[n];
            var score = new double[n];
            for (int i = 0; i < n; i++) { isK[i] = truth[i] == k; score[i] = probabilities[i, k]; }
            double a = RankingMetrics.Auroc(isK, score), p = RankingMetrics.Auprc(isK, score);
            if (double.IsNaN(a)) continue;
            auroc += a;
            auprc += p;
            scored++;
        }
        return new ClassificationReport(
            ClassificationMetrics.Mcc(truth, predicted), ClassificationMetrics.MacroF1(truth, predicted),
            ClassificationMetrics.Accuracy(truth, predicted), ClassificationMetrics.MacroPrecision(truth, predicted),
            ClassificationMetrics.MacroRecall(truth, predicted),
            scored == 0 ? double.NaN : auroc / scored, scored == 0 ? double.NaN : auprc / scored, n);
    }

    /// <summary>Name → value, the keys used in results.json and the Markdown tables.</summary>
    public IReadOnlyDictionary<string, double> AsDictionary() => new Dictionary<string, double>
    {
        ["mcc"] = Mcc, ["f1"] = F1, ["accuracy"] = Accuracy, ["precision"] = Precision, ["recall"] = Recall,
        ["auroc"] = Auroc, ["auprc"] = Auprc,
    };
}
