using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using TorchSharp;

namespace DnaFoundation.Cli.Quickstart;

/// <summary>
/// The fine-tuned classifier's confusion matrix on a labelled CSV (rows: true class, columns: predicted class),
/// and its PNG. Uses the same model loading, tokenization and prediction code as <c>dnafm finetune</c>.
/// </summary>
public static class ConfusionMatrix
{
    public static long[,] Compute(string modelDir, string labelledCsv, int maxLength, torch.Device device)
    {
        var loaded = ModelSource.Load(modelDir, null, ModelHeads.Sequence, [], randomInit: false, seed: 42, device);
        using var model = loaded.Model;
        var rows = LabeledSequenceReader.ReadSingleLabel(labelledCsv);
        var examples = FineTuneExamples.Single(rows, loaded.Tokenizer, maxLength);
        var (_, probs) = FineTuneEvaluation.Run(model, examples, FineTuneTask.SingleLabel, 64, device);
        int classes = probs.GetLength(1);
        var matrix = new long[classes, classes];
        for (int i = 0; i < examples.Length; i++)
        {
            int best = 0;
            for (int c = 1; c < classes; c++) if (probs[i, c] > probs[i, best]) best = c;
            matrix[(int)examples[i].Label, best]++;
        }
        return matrix;
    }

    public static void WritePng(long[,] matrix, string path, string title)
    {
        int n = matrix.GetLength(0);
        var data = new double[n, n];
        for (int t = 0; t < n; t++) for (int p = 0; p < n; p++) data[t, p] = matrix[t, p];
        var plot = new ScottPlot.Plot();
        var hm = plot.Add.Heatmap(data);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(hm);
        // Cell (t, p) sits at x = p, y = n - 1 - t.
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
            {
                var label = plot.Add.Text(matrix[t, p].ToString("N0", System.Globalization.CultureInfo.InvariantCulture), p, n - 1 - t);
                label.LabelFontSize = 22;
                label.LabelFontColor = ScottPlot.Colors.Black;
                label.LabelBackgroundColor = ScottPlot.Colors.White.WithAlpha(0.75);
                label.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
            }
        var ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var names = Enumerable.Range(0, n).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.Select(i => n - 1 - i).ToArray(), names);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Title(title);
        var temp = path + ".tmp.png";
        plot.SavePng(temp, 560, 480);
        File.Move(temp, path, overwrite: true);
    }
}
