using System.Text;
using DnaFoundation.Data.Fasta;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.Data.Windows;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Training.Tests;

/// <summary>
/// Small multi-contig corpora cut from the real GRCh37 chr20 sample the repository ships (samples/genome), so shard
/// and manifest tests need no shared data: FASTA files with named train and validation contigs, a manifest over
/// them, and shard folders built from that manifest by the Data project's <see cref="ShardBuilder"/>.
/// </summary>
internal static class SampleCorpus
{
    public static string SampleGenome => Path.Combine(TestPaths.RepoRoot, "samples", "genome", "GRCh37_chr20_sample.fa.gz");

    /// <summary>Real bases of chr20 [start, end) (0-based), uppercase as shipped.</summary>
    public static string Bases(long start, long end)
    {
        using var fasta = IndexedFasta.Open(SampleGenome, writeMissingIndex: false);
        return Encoding.ASCII.GetString(fasta.Fetch("20", start, end));
    }

    public static string WriteFasta(string path, params (string Name, string Bases)[] records)
    {
        var sb = new StringBuilder();
        foreach (var (name, bases) in records)
        {
            sb.Append('>').Append(name).Append('\n');
            for (int i = 0; i < bases.Length; i += 60) sb.Append(bases, i, Math.Min(60, bases.Length - i)).Append('\n');
        }
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    /// <summary>One species per entry: a FASTA with its train contig and validation contig, and a manifest listing them with their weights.</summary>
    public static string WriteManifest(string dir, params (string Species, double Weight, string TrainContig, string Train, string ValidationContig, string Validation)[] species)
    {
        var entries = new List<string>();
        foreach (var s in species)
        {
            WriteFasta(Path.Combine(dir, s.Species + ".fa"), (s.TrainContig, s.Train), (s.ValidationContig, s.Validation));
            entries.Add($$"""{ "name": "{{s.Species}}", "assembly": "GRCh37 chr20 slices", "fasta": "{{s.Species}}.fa", "weight": {{s.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "splits": { "validation": ["{{s.ValidationContig}}"] } }""");
        }
        var path = Path.Combine(dir, "manifest.json");
        File.WriteAllText(path, $$"""{ "name": "test-corpus", "species": [ {{string.Join(", ", entries)}} ] }""");
        return path;
    }

    /// <summary>Shards of kmer:6 ids of 67-bp windows (64 tokens each), <paramref name="rowsPerShard"/> rows per shard (one row group each).</summary>
    public static string BuildShards(string manifestPath, string outDir, int rowsPerShard, string? tokenizer = "kmer:6")
    {
        var manifest = GenomeManifest.Load(manifestPath);
        new ShardBuilder(manifest, new ShardBuildOptions(outDir, new WindowOptions(67), tokenizer, RowsPerShard: rowsPerShard, Threads: 1))
            .RunAsync().GetAwaiter().GetResult();
        return outDir;
    }

    public static string ReverseComplement(string s)
    {
        var b = Encoding.ASCII.GetBytes(s);
        NucleotideAlphabet.ReverseComplementInPlace(b);
        return Encoding.ASCII.GetString(b);
    }
}
