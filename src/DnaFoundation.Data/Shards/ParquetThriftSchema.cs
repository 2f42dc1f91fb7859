namespace DnaFoundation.Data.Shards;

/// <summary>A Thrift compact-protocol type as it appears on the wire (the spec's type ids; bool fields use 1 and 2).</summary>
internal enum ThriftWire : byte
{
    Bool = 1, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8, List = 9, Struct = 12,
}

/// <summary>What one field holds: a scalar, a struct by name, or a list of either.</summary>
internal sealed record ThriftField(ThriftWire Wire, string? Struct = null, ThriftField? Element = null)
{
    public static readonly ThriftField Bool = new(ThriftWire.Bool), Byte = new(ThriftWire.Byte), I16 = new(ThriftWire.I16),
        I32 = new(ThriftWire.I32), I64 = new(ThriftWire.I64), Double = new(ThriftWire.Double), Binary = new(ThriftWire.Binary);

    public static ThriftField Of(string name) => new(ThriftWire.Struct, Struct: name);

    public static ThriftField ListOf(ThriftField element) => new(ThriftWire.List, Element: element);
}

/// <summary>
/// The structs of parquet.thrift (apache/parquet-format) that a Parquet footer and page header can hold, field id →
/// type, as Parquet.Net 6.1.0 reads them. Parquet.Net reads a known field by its declared type whatever type the
/// wire gives, and its reader loops forever or allocates whatever a length says when the bytes are damaged; so
/// <see cref="ThriftCompactWalker"/> walks the same bytes by this table first and refuses any field whose wire
/// type differs from it. Enums are i32 on the wire.
/// </summary>
internal static class ParquetThriftSchema
{
    private static readonly ThriftField Empty = ThriftField.Of(nameof(Empty));

    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<short, ThriftField>> Structs = new Dictionary<string, IReadOnlyDictionary<short, ThriftField>>
    {
        [nameof(Empty)] = new Dictionary<short, ThriftField>(),
        ["FileMetaData"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.I32, [2] = ThriftField.ListOf(ThriftField.Of("SchemaElement")), [3] = ThriftField.I64,
            [4] = ThriftField.ListOf(ThriftField.Of("RowGroup")), [5] = ThriftField.ListOf(ThriftField.Of("KeyValue")),
            [6] = ThriftField.Binary, [7] = ThriftField.ListOf(ThriftField.Of("ColumnOrder")),
            [8] = ThriftField.Of("EncryptionAlgorithm"), [9] = ThriftField.Binary,
        },
        ["SchemaElement"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.I32, [2] = ThriftField.I32, [3] = ThriftField.I32, [4] = ThriftField.Binary, [5] = ThriftField.I32,
            [6] = ThriftField.I32, [7] = ThriftField.I32, [8] = ThriftField.I32, [9] = ThriftField.I32, [10] = ThriftField.Of("LogicalType"),
        },
        ["LogicalType"] = new Dictionary<short, ThriftField>
        {
            [1] = Empty, [2] = Empty, [3] = Empty, [4] = Empty, [5] = ThriftField.Of("DecimalType"), [6] = Empty,
            [7] = ThriftField.Of("TimeType"), [8] = ThriftField.Of("TimeType"), [10] = ThriftField.Of("IntType"), [11] = Empty,
            [12] = Empty, [13] = Empty, [14] = Empty, [15] = Empty, [16] = ThriftField.Of("VariantType"),
            [17] = ThriftField.Of("GeometryType"), [18] = ThriftField.Of("GeographyType"),
        },
        ["DecimalType"] = new Dictionary<short, ThriftField> { [1] = ThriftField.I32, [2] = ThriftField.I32 },
        // TimeType and TimestampType: is_adjusted_to_utc, unit (a union of empty structs).
        ["TimeType"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Bool, [2] = ThriftField.Of("TimeUnit") },
        ["TimeUnit"] = new Dictionary<short, ThriftField> { [1] = Empty, [2] = Empty, [3] = Empty },
        ["IntType"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Byte, [2] = ThriftField.Bool },
        ["VariantType"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Byte },
        ["GeometryType"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Binary },
        ["GeographyType"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Binary, [2] = ThriftField.I32 },
        ["RowGroup"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.ListOf(ThriftField.Of("ColumnChunk")), [2] = ThriftField.I64, [3] = ThriftField.I64,
            [4] = ThriftField.ListOf(ThriftField.Of("SortingColumn")), [5] = ThriftField.I64, [6] = ThriftField.I64, [7] = ThriftField.I16,
        },
        ["SortingColumn"] = new Dictionary<short, ThriftField> { [1] = ThriftField.I32, [2] = ThriftField.Bool, [3] = ThriftField.Bool },
        ["ColumnChunk"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.Binary, [2] = ThriftField.I64, [3] = ThriftField.Of("ColumnMetaData"), [4] = ThriftField.I64, [5] = ThriftField.I32,
            [6] = ThriftField.I64, [7] = ThriftField.I32, [8] = ThriftField.Of("ColumnCryptoMetaData"), [9] = ThriftField.Binary,
        },
        ["ColumnMetaData"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.I32, [2] = ThriftField.ListOf(ThriftField.I32), [3] = ThriftField.ListOf(ThriftField.Binary), [4] = ThriftField.I32,
            [5] = ThriftField.I64, [6] = ThriftField.I64, [7] = ThriftField.I64, [8] = ThriftField.ListOf(ThriftField.Of("KeyValue")),
            [9] = ThriftField.I64, [10] = ThriftField.I64, [11] = ThriftField.I64, [12] = ThriftField.Of("Statistics"),
            [13] = ThriftField.ListOf(ThriftField.Of("PageEncodingStats")), [14] = ThriftField.I64, [15] = ThriftField.I32,
            [16] = ThriftField.Of("SizeStatistics"), [17] = ThriftField.Of("GeospatialStatistics"),
        },
        ["KeyValue"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Binary, [2] = ThriftField.Binary },
        ["Statistics"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.Binary, [2] = ThriftField.Binary, [3] = ThriftField.I64, [4] = ThriftField.I64,
            [5] = ThriftField.Binary, [6] = ThriftField.Binary, [7] = ThriftField.Bool, [8] = ThriftField.Bool,
        },
        ["PageEncodingStats"] = new Dictionary<short, ThriftField> { [1] = ThriftField.I32, [2] = ThriftField.I32, [3] = ThriftField.I32 },
        ["SizeStatistics"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.I64, [2] = ThriftField.ListOf(ThriftField.I64), [3] = ThriftField.ListOf(ThriftField.I64),
        },
        ["GeospatialStatistics"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Of("BoundingBox"), [2] = ThriftField.ListOf(ThriftField.I32) },
        ["BoundingBox"] = Enumerable.Range(1, 8).ToDictionary(i => (short)i, _ => ThriftField.Double),
        ["ColumnCryptoMetaData"] = new Dictionary<short, ThriftField> { [1] = Empty, [2] = ThriftField.Of("EncryptionWithColumnKey") },
        ["EncryptionWithColumnKey"] = new Dictionary<short, ThriftField> { [1] = ThriftField.ListOf(ThriftField.Binary), [2] = ThriftField.Binary },
        ["ColumnOrder"] = new Dictionary<short, ThriftField> { [1] = Empty },
        ["EncryptionAlgorithm"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Of("AesGcm"), [2] = ThriftField.Of("AesGcm") },
        // AesGcmV1 and AesGcmCtrV1 have the same fields.
        ["AesGcm"] = new Dictionary<short, ThriftField> { [1] = ThriftField.Binary, [2] = ThriftField.Binary, [3] = ThriftField.Bool },
        ["PageHeader"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.I32, [2] = ThriftField.I32, [3] = ThriftField.I32, [4] = ThriftField.I32, [5] = ThriftField.Of("DataPageHeader"),
            [6] = Empty, [7] = ThriftField.Of("DictionaryPageHeader"), [8] = ThriftField.Of("DataPageHeaderV2"),
        },
        ["DataPageHeader"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.I32, [2] = ThriftField.I32, [3] = ThriftField.I32, [4] = ThriftField.I32, [5] = ThriftField.Of("Statistics"),
        },
        ["DictionaryPageHeader"] = new Dictionary<short, ThriftField> { [1] = ThriftField.I32, [2] = ThriftField.I32, [3] = ThriftField.Bool },
        ["DataPageHeaderV2"] = new Dictionary<short, ThriftField>
        {
            [1] = ThriftField.I32, [2] = ThriftField.I32, [3] = ThriftField.I32, [4] = ThriftField.I32, [5] = ThriftField.I32,
            [6] = ThriftField.I32, [7] = ThriftField.Bool, [8] = ThriftField.Of("Statistics"),
        },
    };
}
