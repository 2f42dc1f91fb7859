namespace DnaFoundation.Evaluation.Metrics;

/// <summary>Summaries over seeds and labels.</summary>
public static class Statistics
{
    public static double Mean(IEnumerable<double> values)
    {
        var v = values.ToArray();
        return v.Length == 0 ? double.NaN : v.Average();
    }

    /// <summary>Sample standard deviation (n − 1), the usual "± sd over seeds"; 0 for one value.</summary>
    public static double SampleSd(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return double.NaN;
        if (v.Length == 1) return 0;
        double m = v.Average();
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
