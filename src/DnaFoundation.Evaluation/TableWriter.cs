using System.Globalization;
using System.Reflection;
using System.Text;
using Parquet.Serialization;

namespace DnaFoundation.Evaluation;

/// <summary>
/// Writes rows of a plain class as TSV (header = property names in snake_case, empty cell for null, invariant
/// culture) or Parquet (.parquet, via Parquet.Net's serializer), atomically. One row type, either format.
/// </summary>
public static class TableWriter
{
    public static void Write<T>(string path, IReadOnlyList<T> rows) where T : new()
    {
        if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase))
            OutputFiles.Write(path, tmp =>
            {
                using var fs = File.Create(tmp);
                ParquetSerializer.SerializeAsync(rows, fs).GetAwaiter().GetResult();
            });
        else
            OutputFiles.WriteText(path, Tsv(rows));
    }

    public static string Tsv<T>(IReadOnlyList<T> rows)
    {
        var props = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        var sb = new StringBuilder();
        sb.AppendJoin('\t', props.Select(p => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name))).Append('\n');
        foreach (var row in rows)
            sb.AppendJoin('\t', props.Select(p => Cell(p.GetValue(row)))).Append('\n');
        return sb.ToString();
    }

    private static string Cell(object? v) => v switch
    {
        null => "",
        double d => double.IsNaN(d) ? "NaN" : d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        float[] a => string.Join(',', a.Select(x => x.ToString("R", CultureInfo.InvariantCulture))),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString()!.Replace('\t', ' '),
    };
}
