using DnaFoundation.Core;
using DnaFoundation.Data.Genomes;
using DnaFoundation.Data.Shards;
using DnaFoundation.TestSupport;

namespace DnaFoundation.Data.Tests.Shards;

/// <summary>
/// The structure check that keeps damaged shards away from Parquet.Net's decoder (which allocates whatever a length
/// says and loops forever past the end of its input): Thrift compact bytes written by hand from the protocol's
/// description, and a real shard with a damaged page. The fuzz inputs that found both problems are replayed by
/// tests/DnaFoundation.Fuzz.Tests.
/// </summary>
public class ParquetStructureCheckTests
{
    private static DnaInputException Refused(params byte[] thrift) =>
        Assert.Throws<DnaInputException>(() => new ThriftCompactWalker(thrift, 1000, "s.parquet").Walk("FileMetaData"));

    [Fact]
    public void A_string_longer_than_the_bytes_left_is_refused_before_anything_is_allocated()
    {
        // Field 6 (created_by, binary: header 0x68), length 2^31 - 1 as a varint, then nothing.
        var e = Refused(0x68, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00);
        Assert.Contains("2147483647 bytes needed, 1 left", e.Message);
        Assert.Equal(1001, e.ByteOffset);
    }

    [Fact]
    public void A_list_longer_than_the_bytes_left_is_refused()
    {
        // Field 2 (schema: list of structs, header 0x29), size in a varint (0xFC: 15 = "size follows", type 12), 1,000,000.
        var e = Refused(0x29, 0xFC, 0xC0, 0x84, 0x3D, 0x00);
        Assert.Contains("a list of 1000000 elements in 1 bytes", e.Message);
    }

    [Fact]
    public void Metadata_that_ends_inside_a_value_is_refused_where_parquet_net_would_read_0xff_forever()
    {
        var e = Refused(0x15, 0x80);    // field 1 (version, i32) whose varint says "more follows", then the end
        Assert.Contains("ends early", e.Message);
        Assert.Equal(1002, e.ByteOffset);
    }

    [Fact]
    public void A_known_field_of_another_wire_type_is_refused_because_parquet_net_would_read_it_by_its_declared_type()
    {
        var e = Refused(0x18, 0x02, 0x41, 0x42, 0x00);    // field 1 (version, i32) sent as a binary
        Assert.Contains("field 1 of FileMetaData has Thrift type 8, not I32", e.Message);
    }

    [Fact]
    public void Unknown_scalar_fields_are_skipped_and_unknown_structs_refused()
    {
        // version = 1, then field 100 given by a full id (header 0x05: i32, id zigzag 200 = 0xC8 0x01), value 1, stop.
        var walker = new ThriftCompactWalker(new byte[] { 0x15, 0x02, 0x05, 0xC8, 0x01, 0x02, 0x00 }, 0, "s.parquet", keepValues: true);
        walker.Walk("FileMetaData");
        Assert.Equal(1, walker.Values["1"]);
        Assert.Equal(7, walker.Position);
        var e = Refused(0x15, 0x02, 0x0C, 0xC8, 0x01, 0x00, 0x00);
        Assert.Contains("field 100 of FileMetaData is unknown and of Thrift type 12", e.Message);
    }

    [Fact]
    public async Task A_real_shard_opens_and_one_with_a_damaged_page_header_is_named_without_reaching_the_decoder()
    {
        using var dir = new TempDir("shard-check");
        await new ShardBuilder(ShardFixture.Manifest(dir), new ShardBuildOptions(dir.File("out"), ShardFixture.Window, Tokenizer: "nt6", RowsPerShard: 200,
            Seed: 5, Splits: [DataSplit.Train], MaxRowsPerSplit: 200)).RunAsync();
        var shard = dir.File("out/train/shard-00000.parquet");
        long firstPage;
        using (var reader = ParquetShardReader.Open(shard))
        {
            Assert.Equal(200, (await reader.ReadRowGroupAsync(0)).Length);
            firstPage = 4;    // Parquet.Net writes the first column's first page right after the leading PAR1
        }
        var bytes = File.ReadAllBytes(shard);
        // A page header whose compressed size is far past the file: Parquet.Net's read loop would never end.
        // Field 1 (type) = 0 data page, field 2 (uncompressed) = 1, field 3 (compressed) = 2^30, then the end of the struct.
        byte[] header = [0x15, 0x00, 0x15, 0x02, 0x15, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00];
        header.CopyTo(bytes, firstPage);
        var damaged = dir.File("damaged.parquet");
        File.WriteAllBytes(damaged, bytes);
        var e = Assert.Throws<DnaInputException>(() => ParquetShardReader.Open(damaged));
        Assert.StartsWith(damaged, e.Message);
        Assert.Contains("runs past the data", e.Message);
    }
}
