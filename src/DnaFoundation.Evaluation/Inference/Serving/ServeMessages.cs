using System.Text.Json;
using System.Text.Json.Serialization;
using DnaFoundation.Core;
using DnaFoundation.Evaluation.Variants;
using DnaFoundation.Model.Inference;

namespace DnaFoundation.Evaluation.Inference.Serving;

/// <summary>A request the service refuses: the HTTP status to answer with (400, 413, 503) and a one-line reason.</summary>
public sealed class ServeException(int status, string message) : Exception(message)
{
    /// <summary>400 bad request, 413 too large, 503 busy or stopping.</summary>
    public int Status { get; } = status;
}

/// <summary>A sequence in a request: its id (default <c>seqN</c>, 1-based) and bases.</summary>
public sealed record ServeSequence(string Id, string Sequence);

/// <summary>One /predict answer: the labels, then per sequence its probabilities (label order) and calls.</summary>
public sealed record PredictResponse(string Task, IReadOnlyList<string> Labels, IReadOnlyList<PredictedSequence> Predictions);

/// <summary>One sequence's prediction; <see cref="Regions"/> for token heads (runs of one predicted class, sequence coordinates).</summary>
public sealed record PredictedSequence(string Id, float[] Probabilities, IReadOnlyList<string> Predicted, bool Truncated, IReadOnlyList<PredictedRegion>? Regions);

/// <summary>A run of bases with one predicted class: [Start, End), 0-based, and the mean probabilities over it.</summary>
public sealed record PredictedRegion(int Start, int End, string Label, float[] Probabilities);

/// <summary>One /embed answer: per sequence and layer, its pooled vector.</summary>
public sealed record EmbedResponse(string Pooling, IReadOnlyList<EmbeddedSequence> Embeddings);

/// <summary>A sequence's vector at one layer (hidden-state index, 0 = embeddings).</summary>
public sealed record EmbeddedSequence(string Id, int Layer, int Length, int Windows, float[] Vector);

/// <summary>One /score-variants answer: the rows <c>dnafm score-variants</c> writes.</summary>
public sealed record VariantResponse(IReadOnlyList<VariantRow> Variants);

/// <summary>/health: what is loaded, how busy the service is, and the micro-batches it has formed.</summary>
public sealed record HealthResponse(string Status, string Model, string? Task, IReadOnlyList<string> Endpoints, int Queued,
    long Requests, long Batches, long Sequences, IReadOnlyDictionary<int, long> BatchSizes);

/// <summary>Reads and checks request bodies (JSON, or VCF text for /score-variants): anything wrong is a <see cref="ServeException"/> with status 400 or 413.</summary>
public static class ServeRequests
{
    /// <summary>Wire format: snake_case, like every other JSON the tool writes.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // plain ' and < in messages; never embedded in HTML
    };

    private const string Iupac = "ACGTNRYKMSWBDHVacgtnrykmswbdhv";

    /// <summary>An object body, or a 400 naming what is wrong with it.</summary>
    public static JsonElement Parse(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ServeException(400, "the body must be a JSON object");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ServeException(400, $"malformed JSON: {e.Message}");
        }
    }

    /// <summary>
    /// <c>"sequences"</c>: an array of strings, or of objects <c>{"id": ..., "sequence": ...}</c>; each of IUPAC
    /// nucleotide letters only, within the size limits.
    /// </summary>
    public static IReadOnlyList<ServeSequence> Sequences(JsonElement body, ServeOptions limits)
    {
        if (!body.TryGetProperty("sequences", out var arr) || arr.ValueKind != JsonValueKind.Array)
            throw new ServeException(400, "expected \"sequences\": an array of DNA strings or {\"id\", \"sequence\"} objects");
        int n = arr.GetArrayLength();
        if (n == 0) throw new ServeException(400, "\"sequences\" is empty");
        if (n > limits.MaxSequencesPerRequest) throw new ServeException(413, $"{n} sequences in one request; the limit is {limits.MaxSequencesPerRequest}");
        var result = new List<ServeSequence>(n);
        foreach (var e in arr.EnumerateArray())
        {
            string id = $"seq{result.Count + 1}";
            string? seq;
            if (e.ValueKind == JsonValueKind.String) seq = e.GetString();
            else if (e.ValueKind == JsonValueKind.Object)
            {
                if (e.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String) id = i.GetString()!;
                seq = e.TryGetProperty("sequence", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            }
            else seq = null;
            if (seq is null) throw new ServeException(400, $"sequence {result.Count + 1}: expected a string or {{\"id\", \"sequence\"}}");
            result.Add(new ServeSequence(id, Check(id, seq, limits)));
        }
        return result;
    }

    /// <summary>A sequence of IUPAC letters within the length limit, or a 400/413 naming the sequence and position.</summary>
    public static string Check(string id, string sequence, ServeOptions limits)
    {
        if (sequence.Length == 0) throw new ServeException(400, $"sequence '{id}' is empty");
        if (sequence.Length > limits.MaxSequenceBases) throw new ServeException(413, $"sequence '{id}' has {sequence.Length:N0} bases; the limit is {limits.MaxSequenceBases:N0}");
        int bad = sequence.AsSpan().IndexOfAnyExcept(Iupac);
        if (bad >= 0) throw new ServeException(400, $"sequence '{id}' holds '{sequence[bad]}' at position {bad + 1}, which is not a nucleotide (A, C, G, T, N or an IUPAC code)");
        return sequence;
    }

    /// <summary>/embed options: <c>"pooling"</c> (mean, max, cls) and <c>"layers"</c> (hidden-state indices, −1 = last).</summary>
    public static (Pooling Pooling, int[] Layers) EmbedOptions(JsonElement body)
    {
        var pooling = Pooling.Mean;
        if (body.TryGetProperty("pooling", out var p))
            pooling = p.ValueKind == JsonValueKind.String ? p.GetString() switch
            {
                "mean" => Pooling.Mean, "max" => Pooling.Max, "cls" => Pooling.Cls,
                var other => throw new ServeException(400, $"\"pooling\": '{other}'; use mean, max or cls"),
            } : throw new ServeException(400, "\"pooling\" must be a string");
        int[] layers = [-1];
        if (body.TryGetProperty("layers", out var l))
        {
            if (l.ValueKind != JsonValueKind.Array || l.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out _)))
                throw new ServeException(400, "\"layers\" must be an array of integers");
            layers = l.EnumerateArray().Select(x => x.GetInt32()).ToArray();
            if (layers.Length == 0) throw new ServeException(400, "\"layers\" is empty");
        }
        return (pooling, layers);
    }

    /// <summary>
    /// Variants from VCF text (CHROM POS ID REF ALT per line, tab-separated; header lines optional) or from a JSON
    /// object <c>{"variants": [{"chrom", "pos", "ref", "alt", "id"?}], "scores": [...]?}</c>.
    /// </summary>
    public static (IReadOnlyList<VcfRecord> Variants, VariantScores? Scores) Variants(string body, bool json, ServeOptions limits)
    {
        List<VcfRecord> records;
        VariantScores? scores = null;
        try
        {
            if (json)
            {
                var root = Parse(body);
                if (!root.TryGetProperty("variants", out var arr) || arr.ValueKind != JsonValueKind.Array)
                    throw new ServeException(400, "expected \"variants\": an array of {\"chrom\", \"pos\", \"ref\", \"alt\", \"id\"} objects (or send VCF lines as text/plain)");
                var lines = arr.EnumerateArray().Select((v, i) =>
                {
                    string Field(string name) => v.ValueKind == JsonValueKind.Object && v.TryGetProperty(name, out var f)
                        ? f.ValueKind switch { JsonValueKind.String => f.GetString()!, JsonValueKind.Number => f.GetRawText(), _ => "" }
                        : name == "id" ? "." : throw new ServeException(400, $"variant {i + 1}: missing \"{name}\"");
                    return $"{Field("chrom")}\t{Field("pos")}\t{Field("id")}\t{Field("ref")}\t{Field("alt")}";
                });
                records = VcfReader.Read(new StringReader(string.Join('\n', lines)), "request").ToList();
                if (root.TryGetProperty("scores", out var s)) scores = ParseScores(s);
            }
            else records = VcfReader.Read(new StringReader(body), "request").ToList();
        }
        catch (DnaInputException e)
        {
            throw new ServeException(400, e.Message);
        }
        if (records.Count == 0) throw new ServeException(400, "no variants in the request");
        if (records.Count > limits.MaxSequencesPerRequest) throw new ServeException(413, $"{records.Count} variants in one request; the limit is {limits.MaxSequencesPerRequest}");
        return (records, scores);
    }

    /// <summary>"llr", "classifier", "embedding" as an array or a comma-separated string.</summary>
    public static VariantScores ParseScores(JsonElement e)
    {
        var names = e.ValueKind switch
        {
            JsonValueKind.Array => e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : "?"),
            JsonValueKind.String => e.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _ => throw new ServeException(400, "\"scores\" must be an array of names"),
        };
        return ParseScores(names);
    }

    /// <inheritdoc cref="ParseScores(JsonElement)"/>
    public static VariantScores ParseScores(IEnumerable<string> names)
    {
        var result = VariantScores.None;
        foreach (var n in names)
            result |= n switch
            {
                "llr" => VariantScores.Llr,
                "classifier" => VariantScores.Classifier,
                "embedding" => VariantScores.Embedding,
                _ => throw new ServeException(400, $"score '{n}': use llr, classifier, embedding"),
            };
        if (result == VariantScores.None) throw new ServeException(400, "no scores asked for");
        return result;
    }
}
