using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Windows;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Shards;

/// <summary>A two-species manifest over committed files: the shipped chr20 sample (bgzip) and a small layout.</summary>
internal static class ShardFixture
{
    public static readonly WindowOptions Window = new(Length: 200, Stride: 200, SplitAtNRun: 50, MaxNFraction: 0.2);

    public static GenomeManifest Manifest(TempDir dir)
    {
        var chr20 = Path.Combine(TestPaths.RepoRoot, "samples", "genome", "GRCh37_chr20_sample.fa.gz");
        var toy = dir.File("toy.fa");
        File.Copy(DataFixtures.Fasta("mixed.fa"), toy, overwrite: true);
        var path = dir.File("manifest.json");
        File.WriteAllText(path, $$"""
            { "name": "test", "species": [
              { "name": "human", "assembly": "GRCh37", "fasta": "{{chr20}}", "weight": 1.0 },
              { "name": "toy", "assembly": "toy1", "fasta": "toy.fa", "weight": 0.5, "splits": { "validation": ["r2"], "test": ["r3"] } } ] }
            """);
        return GenomeManifest.Load(path);
    }
}
