using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.FineTuning;
using DnaFoundation.Model;
using DnaFoundation.Tokenizers;

namespace DnaFoundation.Evaluation.Tests.FineTuning;

/// <summary>Tiny models and a planted-motif task: small enough for CPU tests in seconds.</summary>
internal static class ToyData
{
    public static readonly DnaTokenizer Char = DnaTokenizers.Load("char");

    public static EncoderConfig Config(int labels = 2, double dropout = 0.0) => new()
    {
        VocabSize = Char.VocabSize, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 128, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout,
        NumLabels = labels, PadTokenId = Char.PadId,
    };

    public static DnaModel Model(int seed, ModelHeads heads = ModelHeads.Sequence, int labels = 2, double dropout = 0.0)
    {
        TorchSharp.torch.random.manual_seed(seed);
        return ModelFactory.Create(Config(labels, dropout), heads);
    }

    /// <summary>
    /// Label 1: GC-rich (70% G/C) with GATAAG planted at a random place; label 0: AT-rich (30% G/C) without it.
    /// Learnable by a tiny model in a few dozen steps; the motif gives the token task something to find.
    /// </summary>
    public static List<LabeledSequence> Motif(int n, int seed, int length = 40)
    {
        var rng = new Random(seed);
        var rows = new List<LabeledSequence>();
        for (int i = 0; i < n; i++)
        {
            int label = i % 2;
            double gc = label == 1 ? 0.7 : 0.3;
            var s = new string(Enumerable.Range(0, length).Select(_ => rng.NextDouble() < gc ? "GC"[rng.Next(2)] : "AT"[rng.Next(2)]).ToArray()).Replace("GATAAG", "GATCAG");
            if (label == 1)
            {
                int at = rng.Next(length - 6);
                s = s[..at] + "GATAAG" + s[(at + 6)..];
            }
            rows.Add(new LabeledSequence($"toy{i}", s, label));
        }
        return rows;
    }

    public static FineTuneExample[] Encode(IReadOnlyList<LabeledSequence> rows) => FineTuneExamples.Single(rows, Char, 64);
}
