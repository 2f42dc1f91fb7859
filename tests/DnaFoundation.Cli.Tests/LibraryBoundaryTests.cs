using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// The libraries do not know about the command line (issue 18.3): their messages name config keys and files, never
/// <c>--flags</c>, they write nothing to the console, and they log through <c>ILogger</c> (Serilog is the host's). Read from the built assemblies (every string literal and
/// every member they call), so a message added anywhere in a library is covered without listing it here.
/// </summary>
public partial class LibraryBoundaryTests
{
    public static TheoryData<string> Libraries => new()
    {
        "DnaFoundation.Core", "DnaFoundation.Tokenizers", "DnaFoundation.Data", "DnaFoundation.Model",
        "DnaFoundation.Training", "DnaFoundation.Evaluation",
    };

    // Arguments dnafm gives to mpirun when it launches ranks itself: options of another program, not dnafm's.
    private static readonly HashSet<string> MpirunOptions = ["--allow-run-as-root", "--oversubscribe", "--bind-to", "--mca"];

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9-]*")]
    private static partial Regex Flag();

    [Theory]
    [MemberData(nameof(Libraries))]
    public void No_library_string_names_a_command_line_flag(string library)
    {
        using var pe = Open(library);
        var md = pe.GetMetadataReader();
        var offending = new List<string>();
        var handle = MetadataTokens.UserStringHandle(1);
        while (!handle.IsNil)
        {
            var text = md.GetUserString(handle);
            if (Flag().Matches(text).Any(m => !MpirunOptions.Contains(m.Value))) offending.Add(text);
            handle = md.GetNextHandle(handle);
        }
        Assert.True(offending.Count == 0, $"{library} has messages naming --flags:\n" + string.Join("\n", offending));
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void No_library_calls_the_console(string library)
    {
        using var pe = Open(library);
        var md = pe.GetMetadataReader();
        var calls = md.MemberReferences.Select(md.GetMemberReference)
            .Where(m => m.Parent.Kind == HandleKind.TypeReference && TypeName(md, (TypeReferenceHandle)m.Parent) == "System.Console")
            .Select(m => "Console." + md.GetString(m.Name)).Distinct().ToList();
        Assert.True(calls.Count == 0, $"{library} calls {string.Join(", ", calls)}");
    }

    [Theory]
    [MemberData(nameof(Libraries))]
    public void No_library_references_the_command_line_parser(string library)
    {
        using var pe = Open(library);
        var md = pe.GetMetadataReader();
        var refs = md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();
        Assert.DoesNotContain("System.CommandLine", refs);
        Assert.DoesNotContain("dnafm", refs);
        // Logging goes through Microsoft.Extensions.Logging's ILogger; Serilog is the CLI host's choice.
        Assert.DoesNotContain(refs, r => r.StartsWith("Serilog", StringComparison.Ordinal));
    }

    private static PEReader Open(string library)
    {
        var path = Path.Combine(AppContext.BaseDirectory, library + ".dll");
        Assert.True(File.Exists(path), $"{path} is not beside the tests");
        return new PEReader(File.OpenRead(path));
    }

    private static string TypeName(MetadataReader md, TypeReferenceHandle h)
    {
        var t = md.GetTypeReference(h);
        return md.GetString(t.Namespace) + "." + md.GetString(t.Name);
    }
}
