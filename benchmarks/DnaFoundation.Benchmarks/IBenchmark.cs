namespace DnaFoundation.Benchmarks;

/// <summary>
/// One named benchmark. Found by reflection, so each benchmark is one file and adding one touches nothing shared.
/// It prints its own table (Markdown) of side-by-side measurements to stdout.
/// </summary>
public interface IBenchmark
{
    /// <summary>Short name used on the command line, e.g. "tokenizers".</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Runs the benchmark; <paramref name="args"/> are what followed the name on the command line.</summary>
    int Run(string[] args);
}
