using System.Globalization;
using System.Text.Json;
using DnaFoundation.Model;
using DnaFoundation.Model.Inference;
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

    /// <summary>One sequence's attention maps, truncated to <paramref name="maxTokens"/> tokens.</summary>
    public static AttentionResult Compute(DnaModel model, DnaTokenizer tokenizer, string id, string sequence, int maxTokens, Device device) =>
        ComputeAll(new InferenceRunner(model, device), tokenizer, [(id, sequence)], maxTokens).Single();

    /// <summary>
    /// Attention maps of many sequences through the shared runner: batched by length, each row's maps cut to its own
    /// tokens on the host after one copy per layer and batch (padded keys get probability 0, so a row's maps equal
    /// its maps run alone). Input order; streaming.
    /// </summary>
    public static IEnumerable<AttentionResult> ComputeAll(InferenceRunner runner, DnaTokenizer tokenizer,
        IEnumerable<(string Id, string Sequence)> inputs, int maxTokens, CancellationToken cancel = default)
    {
        var encoded = inputs.Select(x => (x.Id, Encoding: tokenizer.Encode(x.Sequence, new EncodeOptions { MaxLength = maxTokens })));
        return runner.Run(encoded, x => new TokenSequence(x.Encoding.Ids[..x.Encoding.TokenCount]), b =>
        {
            int width = b.Tokens.Width;
            var perLayer = b.Output.Encoder.Attentions.Select(a => Readouts.Rows(a)).ToArray();    // per row: (heads × T × T)
            return b.Items.Select((x, i) =>
            {
                int t = b.Tokens.Lengths[i];
                var layers = perLayer.Select(rows =>
                {
                    var flat = rows[i];
                    int heads = flat.Length / (width * width);
                    return Enumerable.Range(0, heads).Select(h =>
                        Enumerable.Range(0, t).Select(q => flat.AsSpan((h * width + q) * width, t).ToArray()).ToArray()).ToArray();
                }).ToArray();
                var enc = x.Encoding;
                return new AttentionResult(x.Id, enc.Ids[..enc.TokenCount].Select(id => tokenizer.Vocabulary[id]).ToArray(),
                    enc.Offsets[..enc.TokenCount].Select(o => new[] { o.Start, o.End }).ToArray(), layers);
            }).ToList();
        }, ExtraOutputs.Attentions, cancel: cancel, heads: ModelHeads.None);
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
