using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DnaFoundation.Cli.Quickstart;

/// <summary>
/// Reads what the quick start's steps wrote and turns it into <c>report.md</c> (numbers, PNG plots, the commands)
/// and a short summary table for the terminal.
/// </summary>
public sealed class QuickstartReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public required QuickstartPlan Plan { get; init; }
    public required IReadOnlyList<QuickstartStep> Steps { get; init; }
    public long[,]? Confusion { get; init; }

    public IReadOnlyList<(string What, string Value)> Summary()
    {
        var rows = new List<(string, string)>();
        var tok = ReadJson(Plan.Tokenizer);
        if (tok is not null)
            rows.Add(("BPE vocabulary", $"{tok.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().Count():N0} tokens"));
        var shardIndex = ReadJson(Path.Combine(Plan.Shards, "index.json"));
        if (shardIndex is not null)
            rows.Add(("shards", $"{CountShardRows(shardIndex.RootElement):N0} windows of 512 bp"));
        var (eval, train) = LastMetrics(Path.Combine(Plan.Pretrain, "metrics.jsonl"));
        if (eval is not null)
        {
            var e = eval.Value;
            rows.Add(("pretrain validation MLM loss", $"{e.GetProperty("loss").GetDouble():F3} (unigram baseline {e.GetProperty("unigram_loss").GetDouble():F3})"));
            rows.Add(("pretrain masked-token accuracy", $"{e.GetProperty("accuracy").GetDouble() * 100:F1} %"));
        }
        if (train is not null)
        {
            rows.Add(("pretrain throughput", $"{train.Value.GetProperty("tokens_per_s").GetDouble():N0} tokens/s"));
            if (train.Value.TryGetProperty("pad_fraction", out var pad))
                rows.Add(("pretrain rows", $"{TruncatedRows(Path.Combine(Plan.Pretrain, "metrics.jsonl")):N0} truncated, {pad.GetDouble() * 100:F1} % padding"));
        }
        var ft = ReadJson(Path.Combine(Plan.Finetune, "results.json"));
        if (ft is not null && ft.RootElement.TryGetProperty("test", out var test))
        {
            rows.Add(("prom_core_all test MCC", test.GetProperty("mcc").GetDouble().ToString("F3", Inv)));
            rows.Add(("prom_core_all test F1 / accuracy / AUROC",
                $"{test.GetProperty("f1").GetDouble():F3} / {test.GetProperty("accuracy").GetDouble():F3} / {test.GetProperty("auroc").GetDouble():F3}"));
        }
        var variants = ReadVariants();
        if (variants.Count > 0)
        {
            int ok = variants.Count(v => v.GetValueOrDefault("status") == "ok");
            rows.Add(("variants scored", $"{variants.Count} ({ok} with an LLR; embedding distance for all)"));
        }
        var track = ReadTrack();
        if (track.Count > 0)
            rows.Add(("promoter track (predict)", $"{track.Count:N0} windows of {QuickstartPlan.TrackRegion}, {ReadBed().Count} predicted promoter interval(s)"));
        rows.Add(("total time", FormatTime(TimeSpan.FromTicks(Steps.Sum(s => s.Elapsed.Ticks)))));
        return rows;
    }

    public string Markdown()
    {
        var md = new StringBuilder();
        md.AppendLine("# DnaFoundation quick start report").AppendLine();
        md.AppendLine($"Generated {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} CPU core(s). ")
          .AppendLine("Data: the small real samples the repository ships (`samples/`: a 2-Mbp slice of GRCh37 chr20, ")
          .AppendLine("4,000/500/500 rows of GUE `prom_core_all`, 7 LOGO ClinVar/1000G SNVs on chr20). ")
          .AppendLine("Numbers from a model this small trained for minutes are a smoke test of the pipeline, not a benchmark.").AppendLine();

        md.AppendLine("## Summary").AppendLine().AppendLine("| | |").AppendLine("|---|---|");
        foreach (var (what, value) in Summary()) md.AppendLine($"| {what} | {value} |");
        md.AppendLine();

        md.AppendLine("## Pretraining").AppendLine();
        if (File.Exists(Path.Combine(Plan.Pretrain, "loss.png")))
            md.AppendLine($"![loss curves]({Rel(Path.Combine(Plan.Pretrain, "loss.png"))})").AppendLine();
        md.AppendLine($"Metrics per step: `{Rel(Path.Combine(Plan.Pretrain, "metrics.jsonl"))}`; the model: `{Rel(Path.Combine(Plan.Pretrain, "final"))}/`; " +
                      $"TensorBoard: `tensorboard --logdir {Rel(Path.Combine(Plan.Pretrain, "tensorboard"))}`.").AppendLine();

        md.AppendLine("## Fine-tuning on GUE prom_core_all (sample)").AppendLine();
        var ft = ReadJson(Path.Combine(Plan.Finetune, "results.json"));
        if (ft is not null && ft.RootElement.TryGetProperty("test", out var test))
        {
            md.AppendLine("| split | MCC | F1 (macro) | accuracy | AUROC | AUPRC |").AppendLine("|---|---|---|---|---|---|");
            if (ft.RootElement.TryGetProperty("best_dev", out var dev) && dev.TryGetProperty("metrics", out var dm))
                md.AppendLine(MetricRow($"dev (best, step {dev.GetProperty("step").GetInt32()})", dm));
            md.AppendLine(MetricRow("test", test)).AppendLine();
        }
        if (Confusion is not null)
        {
            md.AppendLine($"![confusion matrix]({Rel(ConfusionPng)})").AppendLine();
        }

        md.AppendLine("## Variant effects (zero-shot, pretrained model)").AppendLine();
        var variants = ReadVariants();
        if (variants.Count > 0)
        {
            md.AppendLine("| variant | REF>ALT | label | status | LLR (fwd+rev)/2 | embedding distance |").AppendLine("|---|---|---|---|---|---|");
            foreach (var v in variants)
                md.AppendLine($"| {v["id"]} {v["chrom"]}:{v["pos"]} | {v["ref"]}>{v["alt"]} | {(v.GetValueOrDefault("label") == "1" ? "pathogenic" : "control")} | {v["status"]} | {Num(v.GetValueOrDefault("llr"))} | {Num(v.GetValueOrDefault("embedding_distance"))} |");
            md.AppendLine().AppendLine("With a BPE vocabulary the variant base sits inside a multi-base token; when the ALT version of that token " +
                "is not in the vocabulary the masked-marginal LLR is undefined and the status column says so (never silently scored).").AppendLine();
        }

        md.AppendLine("## Promoter track on chr20 (predict)").AppendLine();
        var windows = ReadTrack();
        if (windows.Count > 0)
        {
            md.AppendLine($"The fine-tuned promoter classifier applied along {QuickstartPlan.TrackRegion} (GRCh37) in 70-bp windows every 35 bp " +
                "(`dnafm predict --tile`): a base's value is the mean P(promoter) of the windows covering it. " +
                $"Load `{Rel(Plan.TrackBedGraph)}` (bedGraph) and `{Rel(Plan.TrackBed)}` (predicted promoter intervals, BED) in a genome browser; " +
                $"every window is in `{Rel(Plan.Track)}`.").AppendLine();
            if (File.Exists(TrackPng)) md.AppendLine($"![promoter track]({Rel(TrackPng)})").AppendLine();
            md.AppendLine("| window (1-based) | P(promoter) |").AppendLine("|---|---|");
            foreach (var w in windows.OrderByDescending(w => w.P).Take(5))
                md.AppendLine($"| {w.Chrom}:{w.Start + 1:N0}-{w.End:N0} | {w.P:F3} |");
            md.AppendLine().AppendLine($"{windows.Count(w => w.P >= 0.5):N0} of {windows.Count:N0} windows are called promoters (P ≥ 0.5), merged into {ReadBed().Count} interval(s).").AppendLine();
        }

        md.AppendLine("## Attention map").AppendLine();
        var pngs = Directory.Exists(Plan.Attention) ? Directory.EnumerateFiles(Plan.Attention, "*.png", SearchOption.AllDirectories).Order().Take(2).ToList() : [];
        foreach (var png in pngs) md.AppendLine($"![attention]({Rel(png)})").AppendLine();

        md.AppendLine("## The commands (rerun or change any step)").AppendLine();
        md.AppendLine("Run from the repository root; each is a normal `dnafm` command (`dotnet run --project src/DnaFoundation.Cli -- …`).").AppendLine();
        md.AppendLine("| step | time | command |").AppendLine("|---|---|---|");
        foreach (var s in Steps) md.AppendLine($"| {s.Name} | {FormatTime(s.Elapsed)} | `{s.CommandLine}` |");
        return md.ToString();
    }

    public string ConfusionPng => Path.Combine(Plan.Finetune, "confusion_test.png");

    public string TrackPng => Path.Combine(Path.GetDirectoryName(Plan.Track)!, "promoters.png");

    /// <summary>The predict step's windows: chrom, start, end, P(class 1).</summary>
    private List<(string Chrom, long Start, long End, double P)> ReadTrack()
    {
        if (!File.Exists(Plan.Track)) return [];
        var lines = File.ReadAllLines(Plan.Track).Where(l => l.Length > 0).ToArray();
        var header = lines[0].Split('\t');
        int p1 = Array.IndexOf(header, "prob_1");
        return lines.Skip(1).Select(l => l.Split('\t')).Select(f => (f[0], long.Parse(f[1], Inv), long.Parse(f[2], Inv), double.Parse(f[p1], Inv))).ToList();
    }

    private List<string> ReadBed() => File.Exists(Plan.TrackBed) ? File.ReadAllLines(Plan.TrackBed).Where(l => l.Length > 0).ToList() : [];

    private string Rel(string path) => Path.GetRelativePath(Plan.Output, path).Replace('\\', '/');

    private static string MetricRow(string name, JsonElement m) =>
        $"| {name} | {Get(m, "mcc")} | {Get(m, "f1")} | {Get(m, "accuracy")} | {Get(m, "auroc")} | {Get(m, "auprc")} |";

    private static string Get(JsonElement m, string key) =>
        m.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("F3", Inv) : "–";

    private static string Num(string? s) =>
        double.TryParse(s, NumberStyles.Float, Inv, out var d) ? d.ToString("G4", Inv) : "–";

    private static string FormatTime(TimeSpan t) => t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds:D2} s" : $"{t.TotalSeconds:F1} s";

    private static JsonDocument? ReadJson(string path) => File.Exists(path) ? JsonDocument.Parse(File.ReadAllText(path)) : null;

    private static long CountShardRows(JsonElement index)
    {
        long total = 0;
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name == "rows" && p.Value.ValueKind == JsonValueKind.Number) total += p.Value.GetInt64();
                    else Walk(p.Value);
                }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var x in e.EnumerateArray()) Walk(x);
        }
        Walk(index);
        return total;
    }

    private static long TruncatedRows(string path) =>
        File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("truncated_rows", out _)).Sum(e => e.GetProperty("truncated_rows").GetInt64());

    private static (JsonElement? Eval, JsonElement? Train) LastMetrics(string path)
    {
        if (!File.Exists(path)) return (null, null);
        JsonElement? eval = null, train = null;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var e = JsonDocument.Parse(line).RootElement;
            var kind = e.TryGetProperty("kind", out var k) ? k.GetString() : null;
            if (kind == "eval") eval = e;
            else if (kind == "train") train = e;
        }
        return (eval, train);
    }

    private List<Dictionary<string, string>> ReadVariants()
    {
        if (!File.Exists(Plan.Variants)) return [];
        var lines = File.ReadAllLines(Plan.Variants).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0) return [];
        var header = lines[0].Split('\t');
        return lines.Skip(1).Select(l =>
        {
            var f = l.Split('\t');
            return header.Select((h, i) => (h, v: i < f.Length ? f[i] : "")).ToDictionary(x => x.h, x => x.v);
        }).ToList();
    }
}
