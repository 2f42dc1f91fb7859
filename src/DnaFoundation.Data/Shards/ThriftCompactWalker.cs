using System.Globalization;
using DnaFoundation.Core;

namespace DnaFoundation.Data.Shards;

/// <summary>
/// Walks Thrift compact-protocol bytes (a Parquet footer or page header) by <see cref="ParquetThriftSchema"/> without
/// building anything, so that Parquet.Net is only given bytes it reads to the end: every length and list size fits
/// in the bytes left, every known field has its declared wire type, unknown fields are scalars, and nothing is read
/// past the end. Parquet.Net 6.1.0 itself allocates whatever a length says (gigabytes from a damaged byte) and, read
/// past the end, takes the stream's -1 as 0xFF, a varint that never ends: both found by fuzzing (fuzz/README.md).
/// With <c>keepValues</c>, integer fields outside lists are kept by their field-id path ("5.1" is field 1 of the
/// struct in field 5) for checks that need values, such as a page's sizes; a footer walk keeps none.
/// </summary>
internal sealed class ThriftCompactWalker
{
    private const int MaxDepth = 16;
    private readonly ReadOnlyMemory<byte> bytes;
    private readonly long origin;
    private readonly string file;
    private readonly bool more;
    private readonly bool keepValues;
    private int position;

    /// <param name="bytes">The bytes to walk.</param>
    /// <param name="origin">Their offset in the file, for messages.</param>
    /// <param name="file">The file, for messages.</param>
    /// <param name="more">The file goes on after <paramref name="bytes"/>: running out throws <see cref="NeedMoreBytes"/> instead of an input error.</param>
    /// <param name="keepValues">Keep integer fields in <see cref="Values"/> (a page header's sizes); a footer needs none.</param>
    public ThriftCompactWalker(ReadOnlyMemory<byte> bytes, long origin, string file, bool more = false, bool keepValues = false)
    {
        this.keepValues = keepValues;
        this.bytes = bytes;
        this.origin = origin;
        this.file = file;
        this.more = more;
    }

    /// <summary>Bytes consumed so far.</summary>
    public int Position => position;

    /// <summary>Integer and bool fields read outside lists, by field-id path (with <c>keepValues</c> only).</summary>
    public Dictionary<string, long> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>The bytes ran out where the file has more: read a longer stretch and walk again.</summary>
    public sealed class NeedMoreBytes() : Exception("the walk needs more bytes");

    public void Walk(string structName) => WalkStruct(structName, "", 0);

    private void WalkStruct(string name, string path, int depth)
    {
        if (depth > MaxDepth) throw Fail($"Thrift structs nested deeper than {MaxDepth}", position);
        var fields = ParquetThriftSchema.Structs[name];
        short last = 0;
        while (true)
        {
            int at = position;
            byte header = Next();
            if (header == 0) return;
            int delta = header >> 4, wire = header & 0x0f;
            // As Parquet.Net reads it: a zero delta is followed by the field id as a zigzag varint, cut to 16 bits.
            short id = delta == 0 ? (short)ZigZag(Varint(5)) : (short)(last + delta);
            last = id;
            string fieldPath = !keepValues ? "" : path.Length == 0 ? id.ToString(CultureInfo.InvariantCulture) : $"{path}.{id}";
            if (fields.TryGetValue(id, out var field))
            {
                if (!Matches(field.Wire, wire)) throw Fail($"field {id} of {name} has Thrift type {wire}, not {field.Wire}", at);
                Value(field, wire, fieldPath, depth, inList: false);
            }
            else
                SkipUnknown(wire, name, id, at);
        }
    }

    private void Value(ThriftField field, int wire, string path, int depth, bool inList)
    {
        switch (field.Wire)
        {
            case ThriftWire.Bool:
                if (inList) Next();                  // list elements carry a byte; fields carry it in the header
                else Keep(path, wire == 1 ? 1 : 0);
                break;
            case ThriftWire.Byte:
                long b = (sbyte)Next();
                if (!inList) Keep(path, b);
                break;
            case ThriftWire.I16:
            case ThriftWire.I32:
                long i = (int)ZigZag(Varint(5));
                if (!inList) Keep(path, i);
                break;
            case ThriftWire.I64:
                long l = ZigZag(Varint(10));
                if (!inList) Keep(path, l);
                break;
            case ThriftWire.Double:
                Take(8);
                break;
            case ThriftWire.Binary:
                Binary();
                break;
            case ThriftWire.List:
                List(field.Element!, path, depth);
                break;
            case ThriftWire.Struct:
                WalkStruct(field.Struct!, path, depth + 1);
                break;
        }
    }

    private void Keep(string path, long value)
    {
        if (keepValues) Values[path] = value;
    }

    private void List(ThriftField element, string path, int depth)
    {
        int at = position;
        byte header = Next();
        long count = header >> 4;
        if (count == 15) count = (int)Varint(5);
        int wire = header & 0x0f;
        if (!Matches(element.Wire, wire)) throw Fail($"a list of Thrift type {wire} where {element.Wire} is expected", at);
        // Every element takes at least one byte: a longer list than the bytes left is damage, not data.
        if (count < 0 || count > bytes.Length - position && !more)
            throw Fail($"a list of {count} elements in {bytes.Length - position} bytes", at);
        for (long k = 0; k < count; k++) Value(element, wire, path, depth, inList: true);
    }

    /// <summary>As Parquet.Net skips a field it does not know; structs, lists and others are refused (its skip of a struct reads field headers only).</summary>
    private void SkipUnknown(int wire, string name, short id, int at)
    {
        switch (wire)
        {
            case 1 or 2: break;
            case 3: Next(); break;
            case 4 or 5: Varint(5); break;
            case 6: Varint(10); break;
            case 8: Binary(); break;
            default: throw Fail($"field {id} of {name} is unknown and of Thrift type {wire}", at);
        }
    }

    private void Binary()
    {
        int at = position;
        long length = (int)Varint(5);
        if (length < 0) throw Fail($"a byte string of length {length}", at);
        Take(length, at);
    }

    private void Take(long count, int? at = null)
    {
        if (count > bytes.Length - position)
        {
            if (more) throw new NeedMoreBytes();
            throw Fail($"{count} bytes needed, {bytes.Length - position} left", at ?? position);
        }
        position += (int)count;
    }

    private ulong Varint(int maxBytes)
    {
        int at = position;
        ulong value = 0;
        for (int k = 0; k < maxBytes; k++)
        {
            byte b = Next();
            value |= (ulong)(b & 0x7f) << (7 * k);
            if ((b & 0x80) == 0) return value;
        }
        throw Fail($"a varint longer than {maxBytes} bytes", at);
    }

    private static long ZigZag(ulong n) => (long)(n >> 1) ^ -(long)(n & 1);

    private byte Next()
    {
        if (position >= bytes.Length)
        {
            if (more) throw new NeedMoreBytes();
            throw Fail("the Thrift structure ends early", position);
        }
        return bytes.Span[position++];
    }

    private static bool Matches(ThriftWire expected, int wire) => expected == ThriftWire.Bool ? wire is 1 or 2 : wire == (int)expected;

    private DnaInputException Fail(string what, int at) =>
        new($"not a readable Parquet shard: {what}", file, byteOffset: origin + at);
}
