using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Cli.Quickstart;

/// <summary>
/// The quick start as a list of ordinary <c>dnafm</c> commands on the data the repository ships (samples/):
/// BPE tokenizer → Parquet shards → pretraining → fine-tuning on GUE prom_core_all → variant scoring → a promoter track of
/// chr20 (predict) → attention map.
/// Every path is relative to the repository root, so the report's commands can be pasted as they are.
/// </summary>
public sealed class QuickstartPlan
{
    public required string Output { get; init; }
    public int PretrainSteps { get; init; } = 400;
    public double FinetuneEpochs { get; init; } = 2;
    public string Device { get; init; } = "auto";
    public int Threads { get; init; }

    public string Tokenizer => P("tokenizer", "tokenizer.json");
    public string Shards => P("shards");
    public string Pretrain => P("pretrain");
    public string Finetune => P("finetune");
    public string Variants => P("variants", "scores.tsv");
    public string Attention => P("attention");
    public string Track => P("track", "promoters.tsv");
    public string TrackBedGraph => P("track", "promoters.bedgraph");
    public string TrackBed => P("track", "promoters.bed");
    /// <summary>20 kb of the shipped chr20 slice (real bases), tiled with the fine-tuned promoter model.</summary>
    public const string TrackRegion = "20:10000001-10020000";
    public const string Genome = "samples/genome/GRCh37_chr20_sample.fa.gz";
    public const string Gue = "samples/gue/prom_core_all";
    public const string Vcf = "samples/variants/clinvar_logo_chr20.vcf";
    public const string Manifest = "data-manifests/quickstart-sample.json";
    public const string TrainConfig = "configs/train/quickstart.json";

    /// <summary>A sequence of the test split, for the attention map.</summary>
    public string AttentionSequence { get; init; } = "";

    private string P(params string[] parts) => Path.Combine([Output, .. parts]);

    public IReadOnlyList<QuickstartStep> Steps()
    {
        string[] dev = ["--device", Device, "--threads", Threads.ToString(CultureInfo.InvariantCulture)];
        return
        [
            new("train a BPE tokenizer", ["tokenizer", "train", "--input", Genome, "--vocab-size", "512", "--output", Tokenizer]),
            new("shard the genome", ["data", "shard", "--manifest", Manifest, "--tokenizer", Tokenizer, "--out", Shards, "--window", "512"]),
            new("pretrain (MLM)", ["pretrain", "--config", TrainConfig, "--set", $"tokenizer={Tokenizer}", "--output", Pretrain,
                "--max-steps", PretrainSteps.ToString(CultureInfo.InvariantCulture), .. dev]),
            new("fine-tune on prom_core_all", ["finetune", "--model", Path.Combine(Pretrain, "final"),
                "--train", $"{Gue}/train.csv", "--dev", $"{Gue}/dev.csv", "--test", $"{Gue}/test.csv",
                "--max-length", "32", "--lr", "1e-3", "--epochs", FinetuneEpochs.ToString(CultureInfo.InvariantCulture),
                "--warmup-steps", "25", "--eval-steps", "50", "--select-by", "dev-mcc", "--precision", "auto", "--output", Finetune, .. dev]),
            new("score variants", ["score-variants", "--model", Path.Combine(Pretrain, "final"), "--vcf", Vcf, "--fasta", Genome,
                "--scores", "llr,embedding", "--id-labels", "Clinvar:1,1000G:0", "--output", Variants, .. dev]),
            new("promoter track on chr20", ["predict", "--model", Path.Combine(Finetune, "final"), "--tile", TrackRegion, "--genome", Genome,
                "--window", "70", "--stride", "35", "--output", Track, "--output", TrackBedGraph, "--output", TrackBed, .. dev]),
            new("attention map", ["attention", "--model", Path.Combine(Finetune, "final"), "--sequence", AttentionSequence,
                "--layers", "1", "--output", Attention, .. dev]),
        ];
    }

    /// <summary>The repository root: the folder holding samples/ and configs/, from the working directory upwards.</summary>
    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, Genome)) && File.Exists(Path.Combine(dir.FullName, TrainConfig)))
                    return dir.FullName;
        }
        throw new DnaInputException($"the quick start needs the repository's {Genome} and {TrainConfig}: run it from the DnaFoundation checkout");
    }
}
