using DnaFoundation.Core;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Loading;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.Tokenizers;
using DnaFoundation.Training.Distributed;
using Microsoft.Extensions.Logging;

namespace DnaFoundation.Training.Data;

/// <summary>
/// The batch streams of a run: training (checkpointed position, distinct per rank), validation (a fresh,
/// identically seeded stream for every evaluation, so successive numbers compare), and a sample of training data
/// for the unigram baseline (its own seed, so it does not move the training stream).
/// </summary>
internal sealed class PretrainingStreams(IBatchSource train, Func<IBatchSource> validation, Func<long, IBatchSource> sample) : IDisposable
{
    public IBatchSource Train => train;

    public Func<IBatchSource> Validation => validation;

    public Func<long, IBatchSource> Sample => sample;

    public void Dispose() => train.Dispose();
}

/// <summary>Builds the <see cref="PretrainingStreams"/> for whichever of data.genome / data.shards / data.manifest the config gives.</summary>
internal static class PretrainingData
{
    public static PretrainingStreams Open(TrainerConfig cfg, DnaTokenizer tokenizer, string? configDirectory, ICommunicator comm, ILogger log) =>
        cfg.Data.Kind switch
        {
            DataSourceKind.Genome => Genome(cfg, tokenizer, configDirectory, comm, log),
            DataSourceKind.Shards => Shards(cfg, tokenizer, configDirectory, comm, log),
            _ => Manifest(cfg, tokenizer, configDirectory, comm, log),
        };

    private static PretrainingStreams Genome(TrainerConfig cfg, DnaTokenizer tokenizer, string? configDirectory, ICommunicator comm, ILogger log)
    {
        // Held-out validation regions never overlap the training regions.
        var data = cfg.Data;
        using var fasta = IndexedFasta.Open(Pretraining.ResolvePath(data.Genome, configDirectory, "data.genome"));
        var train = GenomeRegions.Load(fasta, data.TrainRegions, data.ValidationRegions);
        var validation = GenomeRegions.Load(fasta, data.ValidationRegions);
        CheckDisjoint(train, validation);
        var regionBeds = data.RegionBeds.Select(b => BedLabels.Read(Pretraining.ResolvePath(b, configDirectory, "data.region_beds"), data.RegionMinWidthBp)).ToList();
        var chromatinBeds = data.ChromatinBeds.Select(b => BedLabels.Read(Pretraining.ResolvePath(b, configDirectory, "data.chromatin_beds"))).ToList();
        log.LogInformation("data: {Genome}, training {Train:N0} bp, validation {Val:N0} bp, {Rows}, tokenizer {Tok} (vocab {Vocab})",
            data.Genome, train.TotalBases, validation.TotalBases, RowsText(cfg), tokenizer.Spec, tokenizer.VocabSize);

        GenomeWindowSource Source(GenomeRegions r, long seed, bool sequential) =>
            new(r, tokenizer, data, cfg.MicroBatchSize, cfg.MaxLength, seed, sequential, regionBeds, chromatinBeds, comm.Rank, comm.WorldSize);
        return new PretrainingStreams(Source(train, cfg.Seed, sequential: false), () => Source(validation, 0, sequential: true), seed => Source(train, seed, sequential: false));
    }

    private static void CheckDisjoint(GenomeRegions train, GenomeRegions validation)
    {
        foreach (var t in train.Regions)
            foreach (var v in validation.Regions)
                if (t.Contig == v.Contig && t.Start < v.Start + v.Bases.Length && v.Start < t.Start + t.Bases.Length)
                    throw new DnaInputException($"keys 'data.train_regions' and 'data.validation_regions' overlap on {t.Contig}: validation must be held out");
    }

    private static string RowsText(TrainerConfig cfg) => cfg.Data.Pack
        ? $"rows packed to exactly {cfg.MaxLength} tokens (reading from {cfg.Data.WindowBp}-bp windows' starts)"
        : $"{cfg.Data.WindowBp}-bp windows (up to {cfg.MaxLength} tokens each)";

    /// <summary>
    /// The loader's batch shape: micro-batch rows of at most max_length tokens, padded to a multiple of 8 when that
    /// stays within max_length; with data.pack, rows of exactly max_length tokens cut from each sequence.
    /// </summary>
    private static LoaderOptions Options(TrainerConfig cfg, ICommunicator comm, long seed, bool reverseComplement) => new(
        BatchSize: cfg.MicroBatchSize,
        MaxTokens: cfg.MaxLength,
        Pack: false,
        SplitRows: cfg.Data.Pack,
        Seed: unchecked((ulong)seed),
        ShuffleChunks: cfg.Data.ShuffleChunks,
        Rank: comm.Rank,
        WorldSize: comm.WorldSize,
        ReadAhead: cfg.Data.ReadAhead,
        PadToMultipleOf: cfg.MaxLength % 8 == 0 ? 8 : 1,
        ReverseComplement: reverseComplement);

    // Validation streams use a fixed seed: every evaluation sees the same rows.
    private const long ValidationSeed = 0;

    private static PretrainingStreams Shards(TrainerConfig cfg, DnaTokenizer tokenizer, string? configDirectory, ICommunicator comm, ILogger log)
    {
        var data = cfg.Data;
        var trainDir = Pretraining.ResolvePath(data.Shards, configDirectory, "data.shards");
        var validationDir = string.IsNullOrWhiteSpace(data.ValidationShards) ? trainDir : Pretraining.ResolvePath(data.ValidationShards, configDirectory, "data.validation_shards");
        var index = ReadIndex(trainDir, "data.shards");
        var validationIndex = validationDir == trainDir ? index : ReadIndex(validationDir, "data.validation_shards");
        CheckTokenizer(index, trainDir, tokenizer, log);
        if (validationIndex != index) CheckTokenizer(validationIndex, validationDir, tokenizer, log);
        if (index.RowsIn("train") == 0)
            throw new DnaInputException("key 'data.shards': the shard set has no 'train' rows", Path.Combine(trainDir, ShardIndex.FileName));
        if (validationIndex.RowsIn("validation") == 0)
            throw new DnaInputException(
                "the shard set has no 'validation' rows to validate on: give key 'data.validation_shards' (a shard folder with a validation split), " +
                "or shard a manifest whose splits list validation contigs", Path.Combine(validationDir, ShardIndex.FileName));
        bool rc = data.ReverseComplement && index.Content == ShardContent.Sequence;
        log.LogInformation("data: shards {Dir} ({Content}, {Train:N0} training rows), validation split of {ValDir} ({Val:N0} rows), tokenizer {Tok} (vocab {Vocab}){Packed}",
            trainDir, index.Content, index.RowsIn("train"), validationDir, validationIndex.RowsIn("validation"), tokenizer.Spec, tokenizer.VocabSize,
            data.Pack ? $", each window cut into rows of exactly {cfg.MaxLength} tokens" : "");
        if (data.Pack) CheckPackable(trainDir, index, tokenizer, cfg, log);

        LoaderBatchSource Source(string dir, DataSplit split, long seed, bool reverse) =>
            new("shards", state => StreamingLoader.FromShards(dir, split, Options(cfg, comm, seed, reverse), tokenizer, state));
        // Open once now, so a split too small for the ranks fails before the model is built.
        _ = new ShardRowSource(trainDir, DataSplit.Train, Options(cfg, comm, cfg.Seed, rc));
        _ = new ShardRowSource(validationDir, DataSplit.Validation, Options(cfg, comm, ValidationSeed, false));
        return new PretrainingStreams(Source(trainDir, DataSplit.Train, cfg.Seed, rc), () => Source(validationDir, DataSplit.Validation, ValidationSeed, false),
            seed => Source(trainDir, DataSplit.Train, seed, rc));
    }

    /// <summary>
    /// Packed rows from shards: each window's tokens are cut into rows of max_length, its last partial row dropped.
    /// Windows too short to fill one row would give nothing: refuse them now, and say what share of the tokens the
    /// rows will use (from the first row group).
    /// </summary>
    private static void CheckPackable(string dir, ShardIndex index, DnaTokenizer tokenizer, TrainerConfig cfg, ILogger log)
    {
        var first = index.Shards.First(e => e.Split == "train");
        using var reader = ParquetShardReader.Open(Path.Combine(dir, first.File));
        var rows = reader.ReadRowGroupAsync(0).GetAwaiter().GetResult().Take(256).ToList();
        int frame = tokenizer.Special.Prefix.Length + tokenizer.Special.Suffix.Length, size = cfg.MaxLength - frame;
        long content = 0, used = 0;
        foreach (var r in rows)
        {
            int n = (r.InputIds?.Length ?? tokenizer.Encode(r.Sequence!).TokenCount) - frame;
            content += n;
            used += n / size * size;
        }
        if (used == 0)
            throw new DnaInputException(
                $"key 'data.pack': the shards' windows hold about {content / Math.Max(1, rows.Count):N0} tokens each, fewer than the {size} of a packed row ({cfg.MaxLength} less the special tokens): " +
                $"make shards of longer windows or set data.pack=false", Path.Combine(dir, ShardIndex.FileName));
        log.LogInformation("packed rows use {Share:P1} of the shards' tokens (each window's last partial row of fewer than {Size} tokens is dropped; measured on {Rows} rows of {File})",
            used / (double)content, size, rows.Count, first.File);
    }

    private static ShardIndex ReadIndex(string dir, string key)
    {
        var path = Path.Combine(dir, ShardIndex.FileName);
        if (!File.Exists(path)) throw new DnaInputException($"key '{key}': no {ShardIndex.FileName} here (make the shards with dnafm data shard)", dir);
        return ShardIndex.Read(path);
    }

    /// <summary>Id shards must have been tokenized with this run's vocabulary: the ids are used as stored.</summary>
    private static void CheckTokenizer(ShardIndex index, string dir, DnaTokenizer tokenizer, ILogger log)
    {
        if (index.Content != ShardContent.InputIds || index.Tokenizer is not { } spec) return;
        DnaTokenizer stored;
        try
        {
            var candidate = spec.Contains(':') || spec is "char" or "nt6" || Path.IsPathRooted(spec) || File.Exists(spec) || Directory.Exists(spec) ? spec : Path.Combine(dir, spec);
            stored = DnaTokenizers.Load(candidate);
        }
        catch (DnaInputException)
        {
            log.LogWarning("shards in {Dir} hold ids of tokenizer {Spec}, which cannot be found to compare with this run's {Tok}; make sure they are the same", dir, spec, tokenizer.Spec);
            return;
        }
        if (!stored.Vocabulary.Tokens.SequenceEqual(tokenizer.Vocabulary.Tokens))
            throw new DnaInputException($"the shards hold token ids of tokenizer '{spec}' (vocab {stored.VocabSize}), but this run's tokenizer is '{tokenizer.Spec}' (vocab {tokenizer.VocabSize}): set key 'tokenizer' to the shards' tokenizer",
                Path.Combine(dir, ShardIndex.FileName));
    }

    private static PretrainingStreams Manifest(TrainerConfig cfg, DnaTokenizer tokenizer, string? configDirectory, ICommunicator comm, ILogger log)
    {
        var data = cfg.Data;
        var manifest = GenomeManifest.Load(Pretraining.ResolvePath(data.Manifest, configDirectory, "data.manifest"));
        string? dataDir = data.DataDir is null ? null : TryResolve(data.DataDir, configDirectory);
        var window = new WindowOptions(Length: data.WindowBp, MaxNFraction: data.MaxNFraction);
        // Open both splits once now: a genome without random access or a split without long-enough contigs fails here.
        using (var t = new FastaSampleSource(manifest, DataSplit.Train, window, Options(cfg, comm, cfg.Seed, false), dataDir))
        using (var v = new FastaSampleSource(manifest, DataSplit.Validation, window, Options(cfg, comm, ValidationSeed, false), dataDir)) { }
        var weighted = manifest.Species.Where(s => s.Weight > 0).ToList();
        log.LogInformation("data: manifest {Manifest}, {Species} species by weight ({Weights}), {Rows} of train contigs; validation contigs validate; tokenizer {Tok} (vocab {Vocab})",
            manifest.Name, weighted.Count, string.Join(", ", weighted.Select(s => $"{s.Name} {s.Weight:G3}")), RowsText(cfg), tokenizer.Spec, tokenizer.VocabSize);

        LoaderBatchSource Source(DataSplit split, long seed, bool reverse) =>
            new("manifest", state => StreamingLoader.FromManifest(manifest, split, window, tokenizer, Options(cfg, comm, seed, reverse), state, dataDir));
        return new PretrainingStreams(Source(DataSplit.Train, cfg.Seed, data.ReverseComplement), () => Source(DataSplit.Validation, ValidationSeed, false),
            seed => Source(DataSplit.Train, seed, data.ReverseComplement));
    }

    private static string TryResolve(string path, string? configDirectory)
    {
        try { return Pretraining.ResolvePath(path, configDirectory, "data.data_dir"); }
        catch (DnaInputException) { return path; }   // the manifest's own error names the missing genome and the fetch command
    }
}
