using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DnaFoundation.Core;

/// <summary>
/// Binds a JSON config file to a C# record, strictly: an unknown key, a wrong type or an out-of-range value is a
/// <see cref="DnaInputException"/> naming the file, the key and what is allowed. Overrides (<c>key=value</c>, dotted
/// keys for nested objects) are applied before binding, so they are checked the same way.
/// Range and allowed-value rules come from DataAnnotations attributes on the record's properties.
/// </summary>
public static class ConfigLoader
{
    public static readonly JsonSerializerOptions Options = CreateOptions();

    /// <summary>
    /// Reading a config, a key the record cannot do without is required and a null is refused where the record
    /// has no null: an error naming the key, rather than a record holding nulls that fails later without one.
    /// </summary>
    private static readonly JsonSerializerOptions BindOptions = new(Options)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>
    /// JSON as people write it (comments, trailing commas) but never ambiguous: a key given twice is an error
    /// rather than "last one wins" (or, in a JsonObject, a crash on first access).
    /// </summary>
    public static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false,
    };

    /// <summary>Parses JSON text read from <paramref name="path"/>; malformed JSON or a duplicated key names the file and line.</summary>
    public static JsonNode? ParseJson(string text, string path)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: DocumentOptions);
        }
        catch (JsonException e)
        {
            // The parser's duplicate-key error has no position and cuts the key short: find both ourselves.
            if (FindDuplicateKey(text) is var (key, line))
                throw new DnaInputException($"not valid JSON: duplicate key '{key}'", path, line);
            throw new DnaInputException($"not valid JSON: {e.Message}", path, (e.LineNumber ?? 0) + 1);
        }
    }

    /// <summary>The first key given twice in one object, with the 1-based line of its second occurrence.</summary>
    private static (string Key, long Line)? FindDuplicateKey(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var open = new Stack<HashSet<string>?>();            // keys seen per open object; null for an array
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: open.Push(new HashSet<string>(StringComparer.Ordinal)); break;
                    case JsonTokenType.StartArray: open.Push(null); break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray: open.Pop(); break;
                    case JsonTokenType.PropertyName:
                        var key = reader.GetString()!;
                        if (open.Peek() is { } keys && !keys.Add(key))
                            return (key, 1 + bytes.AsSpan(0, (int)reader.TokenStartIndex).Count((byte)'\n'));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // malformed before any duplicate: the parser's own message stands
        }
        return null;
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            ReadCommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            AllowDuplicateProperties = false,
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        return options;
    }

    public static T Load<T>(string path, IEnumerable<string>? overrides = null)
    {
        if (!System.IO.File.Exists(path)) throw new DnaInputException("config file not found", path);
        var node = ParseJson(System.IO.File.ReadAllText(path), path);
        if (node is not JsonObject obj) throw new DnaInputException("a config must be a JSON object", path);
        return Bind<T>(obj, path, overrides);
    }

    /// <summary>Binds an in-memory JSON object (e.g. defaults plus overrides); <paramref name="source"/> names it in errors.</summary>
    public static T Bind<T>(JsonObject obj, string source, IEnumerable<string>? overrides = null)
    {
        foreach (var o in overrides ?? [])
            ApplyOverride(obj, o, source);
        CheckKeys(obj, typeof(T), source, "");
        T? value;
        try
        {
            value = obj.Deserialize<T>(BindOptions);
        }
        catch (JsonException e)
        {
            var key = (e.Path ?? "$").TrimStart('$', '.');
            throw new DnaInputException($"key '{key}': {Describe(e)}", source);
        }
        if (value is null) throw new DnaInputException("config is empty", source);
        Validate(value, source, "");
        return value;
    }

    /// <summary>Parses <c>key=value</c> (value as JSON when it parses, else as a string) into the object.</summary>
    public static void ApplyOverride(JsonObject root, string assignment, string source)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new DnaInputException($"override '{assignment}' must look like key=value", source);
        var keys = assignment[..eq].Trim().Split('.');
        var raw = assignment[(eq + 1)..];
        JsonNode? value;
        try { value = JsonNode.Parse(raw); }
        catch (JsonException) { value = JsonValue.Create(raw); }
        var target = root;
        foreach (var k in keys[..^1])
        {
            if (target[k] is not JsonObject child)
            {
                child = new JsonObject();
                target[k] = child;
            }
            target = child;
        }
        target[keys[^1]] = value;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    private static string Describe(JsonException e)
    {
        var msg = e.Message;
        int cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? msg[..cut] : msg;
    }

    private static void CheckKeys(JsonObject obj, Type type, string source, string prefix)
    {
        var props = BindableProperties(type);
        foreach (var (key, child) in obj)
        {
            var full = prefix + key;
            if (!props.TryGetValue(key, out var prop))
                throw new DnaInputException($"unknown key '{full}'; allowed keys: {string.Join(", ", props.Keys.Order())}", source);
            var propType = Nullable.GetUnderlyingType(prop.PropertyType) ?? prop.PropertyType;
            if (propType.IsEnum && child is JsonValue v && v.TryGetValue<string>(out var s))
            {
                var allowed = Enum.GetNames(propType).Select(n => JsonNamingPolicy.KebabCaseLower.ConvertName(n)).ToArray();
                if (!allowed.Contains(s))
                    throw new DnaInputException($"key '{full}': '{s}' is not allowed; allowed values: {string.Join(", ", allowed)}", source);
            }
            if (child is JsonObject nested && IsRecordLike(propType))
                CheckKeys(nested, propType, source, full + ".");
        }
    }

    private static bool IsRecordLike(Type t) =>
        t.IsClass && t != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(t);

    private static Dictionary<string, PropertyInfo> BindableProperties(Type type)
    {
        var result = new Dictionary<string, PropertyInfo>(StringComparer.Ordinal);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<JsonIgnoreAttribute>() is not null || p.GetIndexParameters().Length > 0 || !p.CanWrite) continue; // computed properties are not keys
            var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? Options.PropertyNamingPolicy!.ConvertName(p.Name);
            result[name] = p;
        }
        return result;
    }

    /// <summary>Checks DataAnnotations rules ([Range], [AllowedValues], [Required], …) recursively.</summary>
    public static void Validate(object value, string source, string prefix)
    {
        var props = BindableProperties(value.GetType());
        foreach (var (key, prop) in props)
        {
            var v = prop.GetValue(value);
            foreach (var attr in prop.GetCustomAttributes<ValidationAttribute>())
            {
                if (attr.IsValid(v)) continue;
                throw new DnaInputException($"key '{prefix}{key}': {FormatValue(v)} is not allowed; {Rule(attr)}", source);
            }
            var t = prop.PropertyType;
            if (v is not null && IsRecordLike(t)) Validate(v, source, prefix + key + ".");
        }
        if (value is IValidatableConfig custom)
        {
            foreach (var problem in custom.Validate())
                throw new DnaInputException(problem, source);
        }
    }

    private static string FormatValue(object? v) => v switch
    {
        null => "null",
        string s => $"'{s}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "?",
    };

    private static string Rule(ValidationAttribute attr) => attr switch
    {
        RangeAttribute r => $"allowed range: {r.Minimum} to {r.Maximum}",
        AllowedValuesAttribute a => $"allowed values: {string.Join(", ", a.Values.Select(FormatValue))}",
        RequiredAttribute => "a value is required",
        MinLengthAttribute m => $"needs at least {m.Length} item(s)",
        _ => attr.FormatErrorMessage("value"),
    };
}

/// <summary>Cross-field rules a record checks itself; each string is one problem, naming the keys involved.</summary>
public interface IValidatableConfig
{
    IEnumerable<string> Validate();
}
