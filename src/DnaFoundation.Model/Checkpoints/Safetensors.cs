using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DnaFoundation.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}</c>), then the raw
/// little-endian buffers. Every header field is checked against the file before a byte of data is trusted.
/// </summary>
public static class Safetensors
{
    /// <summary>One tensor's header entry; offsets are relative to the start of the data section.</summary>
    public sealed record Entry(string Name, string Dtype, long[] Shape, long Begin, long End);

    public sealed record Header(IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart);

    private static readonly Dictionary<string, (ScalarType Type, int Size)> Dtypes = new()
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static string DtypeName(ScalarType t) =>
        Dtypes.FirstOrDefault(kv => kv.Value.Type == t).Key ?? throw new ArgumentException($"dtype {t} cannot be stored in safetensors");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Header ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("safetensors file not found", path);
        using var fs = File.OpenRead(path);
        return ReadHeader(fs, path);
    }

    private static Header ReadHeader(FileStream fs, string path)
    {
        long fileLength = fs.Length;
        Span<byte> lenBytes = stackalloc byte[8];
        if (fs.Read(lenBytes) != 8) throw new DnaInputException($"not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length", path, byteOffset: 0);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (headerLength == 0 || headerLength > 100_000_000 || (long)headerLength > fileLength - 8)
            throw new DnaInputException($"not a safetensors file: header length {headerLength} does not fit the file ({fileLength} bytes)", path, byteOffset: 0);
        var json = new byte[headerLength];
        fs.ReadExactly(json);
        JsonObject root;
        try
        {
            var text = StrictUtf8.GetString(json);
            root = JsonNode.Parse(text, documentOptions: ConfigLoader.DocumentOptions) as JsonObject ?? throw new DnaInputException("safetensors header is not a JSON object", path, byteOffset: 8);
        }
        catch (DecoderFallbackException e)
        {
            throw new DnaInputException("safetensors header is not UTF-8 text", path, byteOffset: 8 + e.Index);
        }
        catch (JsonException e)
        {
            throw new DnaInputException($"safetensors header is not valid JSON: {e.Message}", path, byteOffset: 8 + (e.BytePositionInLine ?? 0));
        }
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject meta)
                    foreach (var (k, v) in meta) metadata[k] = v?.ToString() ?? "";
                continue;
            }
            entries.Add(ParseEntry(name, node, path, dataLength));
        }
        // Buffers must tile the data section without overlap (the format's rule; it also catches truncation).
        long expected = 0;
        foreach (var e in entries.OrderBy(e => e.Begin))
        {
            if (e.Begin != expected)
                throw new DnaInputException($"tensor '{e.Name}': data starts at {e.Begin}, expected {expected} (overlapping or gapped buffers)", path, byteOffset: dataStart + e.Begin);
            expected = e.End;
        }
        if (expected != dataLength)
            throw new DnaInputException($"data section is {dataLength} bytes but the tensors cover {expected} (truncated or padded file)", path, byteOffset: dataStart + Math.Min(expected, dataLength));
        return new Header(entries, metadata, dataStart);
    }

    private static Entry ParseEntry(string name, JsonNode? node, string path, long dataLength)
    {
        try
        {
            var dtype = node!["dtype"]!.GetValue<string>();
            var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            if (!Dtypes.TryGetValue(dtype, out var info))
                throw new DnaInputException($"tensor '{name}': dtype '{dtype}' is not supported ({string.Join(", ", Dtypes.Keys)})", path);
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                throw new DnaInputException($"tensor '{name}': data_offsets [{string.Join(", ", offsets)}] fall outside the {dataLength}-byte data section (truncated file?)", path);
            if (shape.Any(d => d < 0))
                throw new DnaInputException($"tensor '{name}': negative dimension in shape [{string.Join(", ", shape)}]", path);
            long bytes = shape.Aggregate(1L, (a, d) => a * d) * info.Size;
            if (bytes != offsets[1] - offsets[0])
                throw new DnaInputException($"tensor '{name}': shape [{string.Join(", ", shape)}] × {dtype} needs {bytes} bytes, the offsets give {offsets[1] - offsets[0]}", path);
            return new Entry(name, dtype, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new DnaInputException($"tensor '{name}': header entry needs dtype, shape and data_offsets", path);
        }
    }

    /// <summary>Reads every tensor to the CPU, in its stored dtype.</summary>
    public static Dictionary<string, Tensor> Load(string path) => Load(path, _ => true);

    /// <summary>Reads the tensors whose names pass <paramref name="want"/>.</summary>
    public static Dictionary<string, Tensor> Load(string path, Func<string, bool> want)
    {
        using var file = Open(path);
        return file.Names.Where(want).ToDictionary(n => n, file.Read, StringComparer.Ordinal);
    }

    /// <summary>Opens a file for reading tensors one at a time (the header is checked now, data is read on demand).</summary>
    public static ITensorFile Open(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("safetensors file not found", path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        try
        {
            return new SafetensorsFile(fs, ReadHeader(fs, path), path);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads each tensor straight from the file into the tensor's own memory: no staging buffer, nothing kept after
    /// the call, so loading a model costs the model's size plus the one tensor in flight.
    /// </summary>
    private sealed class SafetensorsFile(FileStream fs, Header header, string path) : ITensorFile
    {
        private readonly Dictionary<string, Entry> entries = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);

        public string Path => path;

        public IReadOnlyList<string> Names { get; } = [.. header.Entries.Select(e => e.Name)];

        public TensorMeta Meta(string name) => new(Dtypes[entries[name].Dtype].Type, entries[name].Shape);

        public Tensor Read(string name)
        {
            var e = entries[name];
            var t = empty(e.Shape, Dtypes[e.Dtype].Type);
            try
            {
                fs.Position = header.DataStart + e.Begin;
                ReadInto(fs, t, path);
                return t;
            }
            catch
            {
                t.Dispose();
                throw;
            }
        }

        public bool TryReadInto(string name, Tensor destination)
        {
            var e = entries[name];
            if (!Fits(destination, Dtypes[e.Dtype].Type, e.End - e.Begin)) return false;
            fs.Position = header.DataStart + e.Begin;
            ReadInto(fs, destination, path);
            return true;
        }

        public void Dispose() => fs.Dispose();
    }

    /// <summary>True when <paramref name="t"/> can take <paramref name="bytes"/> of <paramref name="dtype"/> straight into its memory.</summary>
    internal static bool Fits(Tensor t, ScalarType dtype, long bytes) =>
        t.device_type == DeviceType.CPU && t.dtype == dtype && t.is_contiguous() && t.storage_offset() == 0 && t.numel() * t.ElementSize == bytes;

    /// <summary>Fills a new contiguous CPU tensor from <paramref name="stream"/> (in pieces under 2 GiB: a span's limit).</summary>
    internal static void ReadInto(Stream stream, Tensor t, string path)
    {
        long total = t.numel() * t.ElementSize;
        if (total == 0) return;
        if (total <= int.MaxValue)
        {
            TensorFiles.ReadExactly(stream, t.bytes, path);
            return;
        }
        using var flat = t.view(-1);
        long per = (1L << 30) / t.ElementSize;
        for (long start = 0; start < flat.shape[0]; start += per)
        {
            using var piece = flat.narrow(0, start, Math.Min(per, flat.shape[0] - start));
            TensorFiles.ReadExactly(stream, piece.bytes, path);
        }
    }

    /// <summary>Writes <paramref name="tensors"/> (any device; written little-endian, contiguous) atomically: temp file, then rename.</summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.ToList();
        var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in items) byName[k] = v;
        Save(path, [.. items.Select(kv => (kv.Key, new TensorMeta(kv.Value.dtype, kv.Value.shape)))], name => byName[name], disposeRead: false, metadata);
    }

    /// <summary>Copies every tensor of <paramref name="source"/> into a safetensors file, one tensor in memory at a time.</summary>
    public static void Save(string path, ITensorFile source, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, [.. source.Names.Select(n => (n, source.Meta(n)))], source.Read, disposeRead: true, metadata);

    /// <summary>
    /// Writes the header from <paramref name="entries"/>, then each tensor as <paramref name="read"/> gives it (disposed
    /// after writing when <paramref name="disposeRead"/>), atomically: temp file, then rename.
    /// </summary>
    public static void Save(string path, IReadOnlyList<(string Name, TensorMeta Meta)> entries, Func<string, Tensor> read, bool disposeRead,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = "pt" };
        foreach (var (k, v) in metadata ?? new Dictionary<string, string>()) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, m) in entries)
        {
            long bytes = m.Numel * Dtypes[DtypeName(m.Dtype)].Size;
            header[name] = new JsonObject
            {
                ["dtype"] = DtypeName(m.Dtype),
                ["shape"] = new JsonArray(m.Shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;                      // data starts 8-byte aligned, as the reference writer does
        var headerBytes = new byte[padded];
        json.CopyTo(headerBytes, 0);
        headerBytes.AsSpan(json.Length).Fill((byte)' ');

        // A temp file renamed into place when complete: a killed save leaves the old file or none, never half of one.
        using var pending = AtomicFile.Create(path);
        var fs = pending.Stream;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        fs.Write(len);
        fs.Write(headerBytes);
        foreach (var (name, m) in entries)
        {
            using var scope = NewDisposeScope();
            var t = read(name);
            try
            {
                if (!t.shape.SequenceEqual(m.Shape) || t.dtype != m.Dtype)
                    throw new InvalidOperationException($"tensor '{name}' changed between the header and the data");
                var cpu = t.detach().cpu().contiguous();
                WriteBytes(fs, cpu);
            }
            finally
            {
                if (disposeRead) t.Dispose();
            }
        }
        pending.Commit();
    }

    private static void WriteBytes(Stream fs, Tensor cpu)
    {
        long total = cpu.numel() * cpu.ElementSize;
        if (total == 0) return;
        if (total <= int.MaxValue)
        {
            fs.Write(cpu.bytes);
            return;
        }
        using var flat = cpu.view(-1);
        long per = (1L << 30) / cpu.ElementSize;
        for (long start = 0; start < flat.shape[0]; start += per)
        {
            using var piece = flat.narrow(0, start, Math.Min(per, flat.shape[0] - start));
            fs.Write(piece.bytes);
        }
    }
}
