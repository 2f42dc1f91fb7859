using Parquet.Schema;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// The Parquet columns of a shard: species, contig, start, end (0-based half-open), strand, soft_mask_fraction,
/// then either <c>sequence</c> (string) or <c>input_ids</c> (list&lt;int32&gt;) with <c>soft_mask</c> (binary, one
/// byte per token). Readable by pyarrow / pandas / polars as well as by the loader.
/// </summary>
internal static class ShardSchema
{
    public static readonly DataField<string> Species = new("species");
    public static readonly DataField<string> Contig = new("contig");
    public static readonly DataField<long> Start = new("start");
    public static readonly DataField<long> End = new("end");
    public static readonly DataField<string> Strand = new("strand");
    public static readonly DataField<double> SoftMaskFraction = new("soft_mask_fraction");
    public static readonly DataField<string> Sequence = new("sequence");
    public static readonly ListField InputIds = new("input_ids", new DataField<int>("element"));
    public static readonly DataField<byte[]> SoftMask = new("soft_mask");

    public static DataField InputIdsElement => (DataField)InputIds.Item;

    public static ParquetSchema For(ShardContent content) => content == ShardContent.Sequence
        ? new ParquetSchema(Species, Contig, Start, End, Strand, SoftMaskFraction, Sequence)
        : new ParquetSchema(Species, Contig, Start, End, Strand, SoftMaskFraction, InputIds, SoftMask);
}
