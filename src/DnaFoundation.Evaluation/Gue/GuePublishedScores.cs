using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Evaluation.Gue;

/// <summary>One row of the published GUE table (MCC × 100), keyed by task folder.</summary>
public sealed record GuePublishedRow(string Task, string PaperName, IReadOnlyDictionary<string, double> Mcc);

/// <summary>
/// The DNABERT-2 paper's GUE table (configs/eval/gue-published-mcc.tsv, embedded): Zhou et al., ICLR 2024,
/// arXiv:2306.15006. Columns are model keys such as <c>dnabert_6mer</c>, <c>nt_2500m_multi</c>, <c>dnabert2</c>.
/// </summary>
public sealed class GuePublishedScores
{
    public const string Citation = "Zhou et al., DNABERT-2: Efficient Foundation Model and Benchmark For Multi-Species Genome, ICLR 2024 (arXiv:2306.15006), GUE results table (MCC)";

    /// <summary>The models shown beside ours in Markdown tables, with their display names.</summary>
    public static readonly IReadOnlyList<(string Key, string Display)> Compared =
        [("dnabert_6mer", "DNABERT (6-mer)"), ("nt_2500m_multi", "NT-2500M-multi"), ("dnabert2", "DNABERT-2")];

    private readonly Dictionary<string, GuePublishedRow> rows;

    public IReadOnlyList<string> Models { get; }

    private GuePublishedScores(IReadOnlyList<string> models, Dictionary<string, GuePublishedRow> rows)
    {
        Models = models;
        this.rows = rows;
    }

    public IEnumerable<GuePublishedRow> Rows => rows.Values;

    public GuePublishedRow? Find(string task) => rows.GetValueOrDefault(task);

    public static GuePublishedScores Embedded()
    {
        using var stream = typeof(GuePublishedScores).Assembly.GetManifestResourceStream("gue-published-mcc.tsv")
            ?? throw new InvalidOperationException("embedded resource gue-published-mcc.tsv is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader, "gue-published-mcc.tsv");
    }

    public static GuePublishedScores Parse(TextReader reader, string source)
    {
        string[]? header = null;
        var rows = new Dictionary<string, GuePublishedRow>(StringComparer.Ordinal);
        int lineNo = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var f = line.Split('\t');
            if (header is null)
            {
                if (f.Length < 3 || f[0] != "task" || f[1] != "paper_name") throw new DnaInputException("expected header 'task<TAB>paper_name<TAB>model…'", source, lineNo);
                header = f;
                continue;
            }
            if (f.Length != header.Length) throw new DnaInputException($"expected {header.Length} columns, found {f.Length}", source, lineNo);
            var mcc = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int i = 2; i < f.Length; i++)
            {
                if (!double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new DnaInputException($"column '{header[i]}': '{f[i]}' is not a number", source, lineNo);
                mcc[header[i]] = v;
            }
            if (!rows.TryAdd(f[0], new GuePublishedRow(f[0], f[1], mcc))) throw new DnaInputException($"task '{f[0]}' listed twice", source, lineNo);
        }
        if (header is null) throw new DnaInputException("no header line", source);
        return new GuePublishedScores(header[2..], rows);
    }

    /// <summary>Mean published MCC of a model over all tasks (the paper's "Average" row).</summary>
    public double Average(string model) => rows.Values.Average(r => r.Mcc[model]);
}
