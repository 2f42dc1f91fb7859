using System.Globalization;
using System.Text.Json;
using DnaFoundation.Model;
using DnaFoundation.Tokenizers;
using static TorchSharp.torch;

namespace DnaFoundation.Evaluation.Attention;

/// <summary>
/// Attention probabilities of one sequence: per layer, per head, a (T × T) row-stochastic matrix (query rows,
/// key columns), from the model's eager attention path; tokens and their base spans label the axes.
/// </summary>
public sealed record AttentionResult(string Id, string[] Tokens, int[][] Offsets, float[][][][] Layers)
{
    /// <summary>"ACGTAC@12" style axis labels: the token and the 0-based first base it covers.</summary>
    public string[] Labels => Tokens.Select((t, i) => Offsets[i][1] > Offsets[i][0] ? $"{t}@{Offsets[i][0]}" : t).ToArray();

    public static AttentionResult Compute(DnaModel model, DnaTokenizer tokenizer, string id, string sequence, int maxTokens, Device device)
    {
        var enc = tokenizer.Encode(sequence, new EncodeOptions { MaxLength = maxTokens });
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var ids = tensor(enc.Ids.Select(i => (long)i).ToArray(), [1, enc.Length], device: device);
        var attentions = model.Run(ids, outputAttentions: true).Encoder.Attentions;
        var layers = attentions.Select(a =>
        {
            var p = a[0].to(ScalarType.Float32).cpu();                          // (heads, T, T)
            long h = p.shape[0], t = p.shape[1];
            var flat = p.data<float>().ToArray();
            return Enumerable.Range(0, (int)h).Select(head =>
                Enumerable.Range(0, (int)t).Select(q => flat.AsSpan((int)((head * t + q) * t), (int)t).ToArray()).ToArray()).ToArray();
        }).ToArray();
        return new AttentionResult(id, enc.Ids.Select(i => tokenizer.Vocabulary[i]).ToArray(),
            enc.Offsets.Select(o => new[] { o.Start, o.End }).ToArray(), layers);
    }

    public void WriteJson(string path) => OutputFiles.WriteText(path, JsonSerializer.Serialize(this, FineTuning.FineTuneJob.JsonOptions));

    /// <summary>One PNG per layer and head, axes labelled with tokens and base positions (every label when they fit).</summary>
    public IReadOnlyList<string> WriteHeatmaps(string dir, IReadOnlyCollection<int>? onlyLayers = null, IReadOnlyCollection<int>? onlyHeads = null)
    {
        Directory.CreateDirectory(dir);
        var files = new List<string>();
        var labels = Labels;
        int n = labels.Length, step = Math.Max(1, n / 40);
        var ticks = Enumerable.Range(0, n).Where(i => i % step == 0).ToArray();
        for (int l = 0; l < Layers.Length; l++)
        {
            if (onlyLayers is not null && !onlyLayers.Contains(l)) continue;
            for (int h = 0; h < Layers[l].Length; h++)
            {
                if (onlyHeads is not null && !onlyHeads.Contains(h)) continue;
                var m = Layers[l][h];
                var data = new double[n, n];
                for (int q = 0; q < n; q++) for (int k = 0; k < n; k++) data[q, k] = m[q][k];
                var plot = new ScottPlot.Plot();
                var hm = plot.Add.Heatmap(data);
                hm.Colormap = new ScottPlot.Colormaps.Viridis();
                plot.Add.ColorBar(hm);
                // Heatmap cell i sits at x = i (columns = keys) and y = n − 1 − i (row 0 at the top).
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.Select(i => (double)i).ToArray(), ticks.Select(i => labels[i]).ToArray());
                plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.Select(i => (double)(n - 1 - i)).ToArray(), ticks.Select(i => labels[i]).ToArray());
                plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
                plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleLeft;
                plot.Title($"{Id}: layer {l} head {h} (rows: query, columns: key)");
                plot.XLabel("key token @ base");
                plot.YLabel("query token @ base");
                var file = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"layer{l:D2}_head{h:D2}.png"));
                OutputFiles.Write(file, tmp => plot.SavePng(tmp, 900, 820));
                files.Add(file);
            }
        }
        return files;
    }
}
