using DnaFoundation.Evaluation.Baselines;
using DnaFoundation.Evaluation.Metrics;

namespace DnaFoundation.Evaluation.Tests.Baselines;

public class KmerBaselineTests
{
    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 10)]
    [InlineData(3, 32)]
    [InlineData(5, 512)]
    public void Canonical_kmer_count(int k, int expected) => Assert.Equal(expected, new KmerFeatures(k).Count);

    [Fact]
    public void Strands_share_features_and_n_breaks_kmers()
    {
        var kf = new KmerFeatures(2);
        var a = new float[kf.Count];
        var b = new float[kf.Count];
        kf.Featurize("ACGGT", a);
        kf.Featurize("ACCGT", b); // reverse complement of ACGGT
        Assert.Equal(a, b);
        kf.Featurize("ACNGT", a); // AC and GT (one canonical feature), no k-mer spans the N
        Assert.Equal(1f, a.Max());
        Assert.Equal(1f, a.Sum(), 5);
        Assert.Equal(0b1011, KmerFeatures.ReverseComplement(0b0001, 2)); // AC (A=0, C=1) → GT (G=2, T=3)
    }

    [Fact]
    public void Logistic_regression_finds_a_planted_motif()
    {
        var rng = new Random(3);
        string Random(int n) => new(Enumerable.Range(0, n).Select(_ => "ACGT"[rng.Next(4)]).ToArray());
        (List<string>, byte[,]) Make(int n)
        {
            var seqs = new List<string>();
            var y = new byte[n, 1];
            for (int i = 0; i < n; i++)
            {
                bool pos = i % 2 == 0;
                var s = Random(60);
                if (pos) s = s[..20] + "GATAAGGATAAG" + s[32..];
                seqs.Add(s);
                y[i, 0] = (byte)(pos ? 1 : 0);
            }
            return (seqs, y);
        }
        var (train, ty) = Make(300);
        var (dev, dy) = Make(100);
        var (test, sy) = Make(200);
        var model = KmerLogisticRegression.Fit(train, ty, dev, dy, new KmerLogisticOptions(K: 4, MaxIterations: 150));
        var p = model.PredictProbabilities(test);
        var truth = Enumerable.Range(0, 200).Select(i => sy[i, 0] == 1).ToArray();
        var auc = RankingMetrics.Auroc(truth, Enumerable.Range(0, 200).Select(i => (double)p[i, 0]).ToArray());
        Assert.True(auc > 0.9, $"AUROC {auc}");
        Assert.InRange(model.BestIteration, 1, 150);
    }
}
