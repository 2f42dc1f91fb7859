using System.Reflection;
using System.Xml.Linq;

namespace DnaFoundation.Cli.Tests;

/// <summary>
/// Issue 18: the entry points a library user starts from are documented. For each type below, the type and every
/// public member it declares (constructors, methods, properties, fields, nested types) must have a non-empty
/// &lt;summary&gt; (or &lt;inheritdoc/&gt;) in the XML documentation file its assembly ships in the NuGet package. Members
/// are matched by their documentation id's name part, so each overload of a method needs its own comment.
/// </summary>
public class PublicApiDocumentationTests
{
    public static TheoryData<string> EntryPoints() =>
    [
        .. new[]
        {
            typeof(Tokenizers.DnaTokenizer), typeof(Tokenizers.DnaTokenizers),
            typeof(Model.Checkpoints.ModelDirectory), typeof(Model.Inference.InferenceOptions), typeof(Model.Inference.InferenceRunner),
            typeof(Training.Pretraining), typeof(Training.PretrainRequest), typeof(Training.PretrainingInputs), typeof(Training.Data.SequenceBatchSource), typeof(Training.Trainer), typeof(Training.TrainingResult),
            typeof(Evaluation.FineTuning.FineTuner), typeof(Evaluation.FineTuning.FineTuneConfig), typeof(Evaluation.FineTuning.FineTuneResult), typeof(Evaluation.FineTuning.FineTuneJobResult),
            typeof(Evaluation.Inference.Predictor), typeof(Evaluation.Inference.PredictOptions),
            typeof(Evaluation.Embeddings.Embedder), typeof(Evaluation.Embeddings.EmbedOptions),
            typeof(Evaluation.Variants.VariantScorer), typeof(Evaluation.Interpretation.SaturationMutagenesis),
        }.Select(t => t.AssemblyQualifiedName!),
    ];

    [Theory]
    [MemberData(nameof(EntryPoints))]
    public void Every_public_member_of_an_entry_point_type_has_a_summary(string typeName)
    {
        var type = Type.GetType(typeName, throwOnError: true)!;
        var (docs, parameters) = Documented(type.Assembly);
        string id = type.FullName!.Replace('+', '.');
        var missing = new List<string>();
        if (!docs.Contains("T:" + id)) missing.Add(type.Name);
        const BindingFlags declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var m in type.GetMembers(declared))
        {
            if (IsCompilerMade(type, m) || ImplementsInterface(type, m)) continue;
            // A positional record's properties are documented by the record's <param> tags.
            if (m is PropertyInfo && parameters.Contains($"T:{id}/{m.Name}")) continue;
            var (prefix, name) = m switch
            {
                ConstructorInfo => ("M:", "#ctor"),
                MethodInfo mi => ("M:", mi.Name),
                PropertyInfo p => ("P:", p.Name),
                FieldInfo f => ("F:", f.Name),
                EventInfo e => ("E:", e.Name),
                Type t => ("T:", t.Name),
                _ => ("?", m.Name),
            };
            string stem = $"{prefix}{id}.{name}";
            int overloads = type.GetMembers(declared).Count(o => o.MemberType == m.MemberType && o.Name == m.Name && !IsCompilerMade(type, o));
            int documented = docs.Count(d => d == stem || d.StartsWith(stem + "(", StringComparison.Ordinal) || d.StartsWith(stem + "``", StringComparison.Ordinal));
            if (documented < overloads) missing.Add($"{m.MemberType} {m.Name}");
        }
        Assert.True(missing.Count == 0, $"{type.Name}: no <summary> for {string.Join(", ", missing.Distinct())}");
    }

    /// <summary>
    /// Accessors, record plumbing (Equals, Deconstruct, &lt;Clone&gt;$, operators, the copy constructor) and the implicit
    /// parameterless constructor are not written by hand.
    /// </summary>
    private static bool IsCompilerMade(Type type, MemberInfo m) =>
        m is MethodInfo { IsSpecialName: true }
        || m is ConstructorInfo { IsStatic: false } ctor && ctor.GetParameters().Length == 0
        || m.Name.Contains('<')
        || (m is MethodInfo && m.Name is "Equals" or "GetHashCode" or "ToString" or "Deconstruct" or "PrintMembers" or "op_Equality" or "op_Inequality")
        || (m is PropertyInfo && m.Name == "EqualityContract")
        || (m is ConstructorInfo c && IsRecordCopyConstructor(type, c));

    /// <summary>Dispose and an interface's members are documented where they are declared.</summary>
    private static bool ImplementsInterface(Type type, MemberInfo m) =>
        m is MethodInfo method && (method.Name is "Dispose" or "DisposeAsync"
            || type.GetInterfaces().Any(i => type.GetInterfaceMap(i).TargetMethods.Contains(method)));

    private static bool IsRecordCopyConstructor(Type type, ConstructorInfo c) =>
        c.GetParameters() is [var p] && p.ParameterType == type;

    /// <summary>
    /// The ids of the assembly's XML documentation that carry a non-empty summary or an inheritdoc, and each type's
    /// documented parameters as <c>T:TYPE/NAME</c>.
    /// </summary>
    private static (HashSet<string> Members, HashSet<string> Parameters) Documented(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(path), $"{path} is missing: the library must build its XML documentation (GenerateDocumentationFile)");
        var members = XDocument.Load(path).Descendants("member").ToList();
        var documented = members
            .Where(m => m.Element("inheritdoc") is not null || !string.IsNullOrWhiteSpace((string?)m.Element("summary")))
            .Select(m => (string)m.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);
        var parameters = members
            .Where(m => ((string)m.Attribute("name")!).StartsWith("T:", StringComparison.Ordinal))
            .SelectMany(m => m.Elements("param").Where(p => !string.IsNullOrWhiteSpace(p.Value)).Select(p => $"{(string)m.Attribute("name")!}/{(string)p.Attribute("name")!}"))
            .ToHashSet(StringComparer.Ordinal);
        return (documented, parameters);
    }
}
