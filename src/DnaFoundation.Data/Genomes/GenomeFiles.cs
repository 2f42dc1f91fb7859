using DnaFoundation.Core;

namespace DnaFoundation.Data.Genomes;

/// <summary>Where a manifest's genomes are on disk: local paths relative to the manifest, downloads in a data folder.</summary>
public static class GenomeFiles
{
    public static string ResolveLocal(GenomeManifest manifest, SpeciesGenome s)
    {
        if (Path.IsPathRooted(s.Fasta)) return s.Fasta;
        var dir = manifest.SourcePath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(manifest.SourcePath)!;
        return Path.GetFullPath(Path.Combine(dir, s.Fasta));
    }

    /// <summary>The FASTA of <paramref name="s"/>: its local path, or the fetched file in <paramref name="dataDir"/>.</summary>
    public static string Resolve(GenomeManifest manifest, SpeciesGenome s, string? dataDir)
    {
        if (!s.IsRemote) return ResolveLocal(manifest, s);
        if (dataDir is null)
            throw new DnaInputException($"species '{s.Name}' is a URL: fetch the manifest's files first and give their folder as the data directory (data_dir)", manifest.SourcePath);
        var path = Path.Combine(dataDir, s.LocalFileName);
        if (!File.Exists(path))
            throw new DnaInputException($"species '{s.Name}': {path} not found; fetch the manifest's files into the data directory {dataDir} first", manifest.SourcePath);
        return path;
    }
}
