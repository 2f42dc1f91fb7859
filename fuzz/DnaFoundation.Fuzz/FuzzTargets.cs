using System.Text.Json.Nodes;
using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Intervals;
using DnaFoundation.Data.Loading;
using DnaFoundation.Data.Shards;
using DnaFoundation.Evaluation.Datasets;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model;
using DnaFoundation.Model.Checkpoints;
using DnaFoundation.Tokenizers;
using DnaFoundation.Tokenizers.Bpe;
using DnaFoundation.Training;
using DnaFoundation.Training.Checkpoints;
using DnaFoundation.Training.Data;

namespace DnaFoundation.Fuzz;

/// <summary>
/// Every harness, one per input format the product reads. Each parse calls the entry point the dnafm command uses
/// and drains it (every record, every tensor) the way the command would. Seeds live in fuzz/seeds/NAME/.
/// </summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("fasta", "FASTA (plain): records, bases, .fai built as `data faidx` does, region fetch", "in.fa", (p, _) => ReadFasta(p)),
        new("fasta-gz", "FASTA.gz (plain gzip): streaming read (random access refuses plain gzip)", "in.fa.gz", (p, _) => ReadFasta(p)),
        new("bgzf", "BGZF FASTA: block reader, .fai/.gzi built, random access", "in.fa.gz", (p, _) => ReadFasta(p)),
        new("fai", ".fai index beside a fixed FASTA: read, then fetch from every entry", "ref.fa.fai", (p, c) => ReadWithIndex(p, c, "ref.fa", "ref.fa")),
        new("gzi", ".gzi index beside a fixed BGZF FASTA and its .fai: read, then fetch", "ref.fa.gz.gzi", (p, c) => ReadWithIndex(p, c, "ref.fa.gz", "ref.fa.gz", "ref.fa.gz.fai")),
        new("vcf", "VCF (score-variants input)", "in.vcf", (p, _) => VcfReader.Read(p).Count()),
        new("bed", "BED (finetune regions, chromatin labels)", "in.bed", (p, _) => Each(p, () => BedReader.Read(p, []), () => BedLabels.Read(p))),
        new("labels-csv", "CSV labels (finetune, embed): single- and multi-label readers", "in.csv", (p, _) => ReadLabels(p)),
        new("labels-tsv", "TSV labels: single- and multi-label readers", "in.tsv", (p, _) => ReadLabels(p)),
        new("tokenizer-json", "Hugging Face tokenizer.json (BPE) loaded and used to encode", "tokenizer.json", (p, _) => UseTokenizer(p)),
        new("vocab-txt", "vocab.txt (DNABERT k-mer, NT 6-mer, char) loaded and used to encode", "vocab.txt", (p, _) => UseTokenizer(p)),
        new("tokenizer-config", "tokenizer train config (BpeTrainerOptions, strict binding)", "bpe.json", (p, _) => ConfigLoader.Load<BpeTrainerOptions>(p)),
        new("config", "our JSON configs: train recipe, model preset, genome manifest", "config.json", (p, _) => Each(p, () => TrainerConfig.Load(p), () => ModelPresets.Load(p), () => GenomeManifest.Load(p))),
        new("hf-config", "Hugging Face config.json of a model directory", "config.json", (p, _) => ModelDirectory.ReadConfig(Path.GetDirectoryName(p)!)),
        new("safetensors", "model.safetensors: header and every tensor", "model.safetensors", (p, _) => ReadWeights([p])),
        new("safetensors-index", "model.safetensors.index.json beside a real shard: the shard list and its tensors", ModelDirectory.IndexFile, (p, c) => ReadShardedWeights(p, c)),
        new("pickle-zip", "torch.save zip pytorch_model.bin, read without executing the pickle", "pytorch_model.bin", (p, _) => ReadWeights([p])),
        new("pickle-legacy", "legacy (torch < 1.6) pytorch_model.bin", "pytorch_model.bin", (p, _) => ReadWeights([p])),
        new("parquet-shard", "Parquet shard: schema and every row group", "shard.parquet", (p, _) => ReadShard(p)),
        new("shard-index", "shard index.json beside real shards: the loader opens and reads batches", ShardIndex.FileName, (p, c) => ReadShardIndex(p, c)),
        new("trainer-state", "trainer_state.json of a checkpoint (step, schedule, RNG states)", TrainerState.FileName, (p, _) => ReadTrainerState(p)),
        new("loader-state", "a checkpoint's loader position restored onto real shards, then batches read", TrainerState.FileName, (p, c) => RestoreLoader(p, c)),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>
    /// Runs every reader of a format on the same file (a file is valid for some of them): each input error must keep
    /// the contract on its own; the input counts as parsed when any reader took it, otherwise the first error stands.
    /// </summary>
    private static void Each(string path, params Action[] parses)
    {
        DnaInputException? first = null;
        bool parsed = false;
        foreach (var parse in parses)
        {
            try
            {
                parse();
                parsed = true;
            }
            catch (DnaInputException e)
            {
                Contract.Check(e, path);
                first ??= e;
            }
        }
        if (!parsed && first is not null) throw first;
    }

    private static void Each(string path, params Func<object?>[] parses) => Each(path, parses.Select(f => (Action)(() => f())).ToArray());

    private static void ReadFasta(string path)
    {
        using (var reader = FastaReader.Open(path))
        {
            Span<byte> buffer = stackalloc byte[4096];
            while (reader.NextRecord() is not null)
                while (reader.Read(buffer) > 0) { }
        }
        if (SequenceInput.Detect(path) == FastaCompression.Gzip) return;
        using var fasta = IndexedFasta.Open(path);
        foreach (var e in fasta.Index.Entries) fasta.Fetch(e.Name, e.Length / 2 - 8, e.Length / 2 + 8);
    }

    /// <summary>The input is an index; the files it indexes are the committed fixtures copied beside it.</summary>
    private static void ReadWithIndex(string indexPath, FuzzContext context, string fasta, params string[] companions)
    {
        var dir = Path.GetDirectoryName(indexPath)!;
        foreach (var name in companions) File.Copy(context.Fixture("genome", name), Path.Combine(dir, name));
        using var indexed = IndexedFasta.Open(Path.Combine(dir, fasta), writeMissingIndex: false);
        foreach (var e in indexed.Index.Entries.Take(64))
        {
            indexed.Fetch(e.Name, 0, 32);
            indexed.Fetch(e.Name, e.Length - 32, e.Length);
        }
    }

    private static void ReadLabels(string path) =>
        Each(path, () => LabeledSequenceReader.ReadSingleLabel(path), () => LabeledSequenceReader.ReadMultiLabel(path));

    private static void UseTokenizer(string path)
    {
        var tokenizer = DnaTokenizers.Load(path);
        tokenizer.Encode("ACGTNACGTTGCAacgtRYACGTACGGGGCCCATATATAAAAAAAAAAAAAAAAAACGT");
    }

    private static void ReadWeights(IReadOnlyList<string> files)
    {
        foreach (var f in files)
            foreach (var t in ModelDirectory.ReadTensors(f).Values) t.Dispose();
    }

    private static void ReadShardedWeights(string indexPath, FuzzContext context)
    {
        var dir = Path.GetDirectoryName(indexPath)!;
        foreach (var f in Directory.EnumerateFiles(context.Fixture("sharded-model")))
            if (!f.EndsWith(".json", StringComparison.Ordinal)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        ReadWeights(ModelDirectory.WeightsPath(dir));
    }

    private static void ReadShard(string path)
    {
        using var reader = ParquetShardReader.Open(path);
        for (int g = 0; g < reader.RowGroupCount; g++) reader.ReadRowGroupAsync(g).GetAwaiter().GetResult();
    }

    /// <summary>The loader of the run that wrote the trainer-state seeds (make-seeds.sh: seed 1, batch 4, 32 tokens).</summary>
    private static LoaderOptions Loader => new(BatchSize: 4, MaxTokens: 32, ShuffleChunks: new GenomeDataConfig().ShuffleChunks, Seed: 1);

    private static void ReadShardIndex(string indexPath, FuzzContext context)
    {
        var dir = Path.GetDirectoryName(indexPath)!;
        foreach (var split in Directory.EnumerateDirectories(context.Fixture("shards")))
        {
            var to = Directory.CreateDirectory(Path.Combine(dir, Path.GetFileName(split))).FullName;
            foreach (var f in Directory.EnumerateFiles(split)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }
        using var loader = StreamingLoader.FromShards(dir, DataSplit.Train, Loader);
        for (int i = 0; i < 3 && loader.Next() is not null; i++) { }
    }

    private static void ReadTrainerState(string path)
    {
        var state = TrainerState.Read(path);
        CheckpointResume.ReadRankState(Path.GetDirectoryName(path)!, state, rank: 0);
    }

    private static void RestoreLoader(string path, FuzzContext context)
    {
        var state = TrainerState.Read(path);
        var shards = context.Fixture("shards");
        using var source = new LoaderBatchSource("shards", resume => StreamingLoader.FromShards(shards, DataSplit.Train, Loader, resume: resume));
        CheckpointResume.RestoreLoader(source, state.RankState.Loader, path);
        for (int i = 0; i < 3; i++) source.Next().Dispose();
    }
}
