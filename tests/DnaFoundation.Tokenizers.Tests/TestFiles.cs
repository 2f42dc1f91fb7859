using DnaFoundation.TestSupport;

namespace DnaFoundation.Tokenizers.Tests;

internal static class TestFiles
{
    public static string Dnabert2Json => TestPaths.Fixture("tokenizers", "dnabert2_tokenizer.json");
}
