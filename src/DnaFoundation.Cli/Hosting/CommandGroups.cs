namespace DnaFoundation.Cli.Hosting;

/// <summary>Descriptions of the command groups (the first word of a multi-word command).</summary>
internal static class CommandGroups
{
    public static readonly IReadOnlyDictionary<string, string> Descriptions = new Dictionary<string, string>
    {
        ["tokenizer"] = "Encode raw DNA, train BPE vocabularies, select a vocabulary GROVER-style.",
        ["data"] = "FASTA indexing, genome manifests and downloads, Parquet shards.",
        ["model"] = "Inspect, run, convert, fetch (Hugging Face Hub) and export models.",
        ["bench"] = "Benchmarks with pinned protocols (GUE).",
    };
}
