using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using DnaFoundation.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Reads the state dict of a PyTorch <c>torch.save</c> file in either format: the zip format of torch ≥ 1.6
/// (<c>*/data.pkl</c> plus one raw little-endian buffer per storage under <c>*/data/&lt;key&gt;</c>), or the legacy
/// format older torch wrote and <c>_use_new_zipfile_serialization=False</c> still writes (DNABERT's <c>DNA_bert_k</c>):
/// a magic-number pickle, the protocol (1001), a system-info dict, the state-dict pickle, the list of storage keys, then
/// each storage as an int64 element count and its bytes. The pickle is interpreted, never executed: only the globals a
/// state dict is rebuilt from are known (<see cref="AllowedGlobals"/>); any other global (<c>os.system</c>,
/// <c>builtins.eval</c>, a class of the training script) stops the read with an error naming it.
/// Tensors are read one at a time on demand (<see cref="ITensorFile"/>).
/// </summary>
public static class PyTorchPickle
{
    /// <summary>The globals a torch state dict is made of; nothing else is accepted in a weights file.</summary>
    public static readonly IReadOnlySet<string> AllowedGlobals = new HashSet<string>(
    [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "_codecs.encode",   // how protocol-2 pickles spell a bytes object
        .. StorageTypes().Keys.Select(k => "torch." + k),
    ], StringComparer.Ordinal);

    // torch.serialization.MAGIC_NUMBER, the first pickle of a legacy file.
    private static readonly BigInteger LegacyMagicNumber = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);
    private const long LegacyProtocol = 1001;

    private sealed record StorageRef(ScalarType Dtype, int ElementSize, string Key, long Numel);

    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    private static Dictionary<string, (ScalarType, int)> StorageTypes() => new()
    {
        ["FloatStorage"] = (ScalarType.Float32, 4), ["DoubleStorage"] = (ScalarType.Float64, 8), ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2), ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1), ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    private static readonly Dictionary<string, (ScalarType, int)> Storages = StorageTypes();

    /// <summary>
    /// The tensors of the file by name (CPU, contiguous copies; tensors that shared storage no longer do). A dict
    /// nested under <c>state_dict</c> or <c>model</c> (Lightning and training-loop checkpoints) is unwrapped.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        using var file = Open(path);
        return file.ReadAll();
    }

    /// <summary>Opens a torch.save file: the pickle is interpreted now, tensor data is read on demand.</summary>
    public static ITensorFile Open(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("file not found", path);
        Span<byte> head = stackalloc byte[4];
        int got;
        using (var probe = File.OpenRead(path)) got = probe.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (got >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4) return ZipPickle.Open(path);
        if (got >= 2 && head[0] == 0x80) return LegacyPickle.Open(path);
        throw new DnaInputException("not a zip-format torch.save file (torch >= 1.6) nor a legacy one (torch < 1.6)", path, byteOffset: 0);
    }

    /// <summary>The name → tensor reference map of a state-dict pickle (unwrapping state_dict/model).</summary>
    private static Dictionary<string, TensorRef> Tensors(object? root, string path)
    {
        var dict = AsDict(root) ?? throw new DnaInputException("the pickle does not hold a dict of tensors", path);
        foreach (var wrapper in new[] { "state_dict", "model" })
            if (dict.TryGetValue(wrapper, out var inner) && AsDict(inner) is { } nested) dict = nested;
        var result = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
        foreach (var (key, value) in dict)
        {
            if (key is not string name) throw new DnaInputException($"state dict key {key} is not a string", path);
            if (value is TensorRef t) result[name] = t;             // plain values (epoch counters, …) are not weights
        }
        return result;
    }

    private static Dictionary<object, object?>? AsDict(object? o) => o as Dictionary<object, object?>;

    /// <summary>Number of storage elements a strided view touches, from its offset.</summary>
    private static long Extent(TensorRef t)
    {
        if (t.Size.Any(d => d == 0)) return 0;
        return t.Size.Length == 0 ? 1 : t.Size.Zip(t.Stride).Sum(p => (p.First - 1) * p.Second) + 1;
    }

    private static void CheckView(string name, TensorRef t, long storageNumel, string path)
    {
        if (t.Offset < 0 || t.Stride.Any(s => s < 0) || t.Size.Any(d => d < 0) || t.Size.Length != t.Stride.Length || t.Offset + Extent(t) > storageNumel)
            throw new DnaInputException($"'{name}': view [{string.Join(", ", t.Size)}] at offset {t.Offset} runs past its storage of {storageNumel} elements", path);
    }

    /// <summary>
    /// Reads the elements [offset, offset + extent) of a storage from <paramref name="stream"/>, positioned at the
    /// storage's first byte, and returns the view as a new contiguous tensor.
    /// </summary>
    private static Tensor ReadView(Stream stream, TensorRef t, string path)
    {
        long extent = Extent(t);
        Skip(stream, t.Offset * t.Storage.ElementSize, path);
        using var scope = NewDisposeScope();
        var raw = empty([extent], t.Storage.Dtype);
        Safetensors.ReadInto(stream, raw, path);
        bool contiguous = t.Size.Aggregate(1L, (a, d) => a * d) == extent && IsRowMajor(t.Size, t.Stride);
        var result = contiguous ? raw.view(t.Size) : raw.as_strided(t.Size, t.Stride).contiguous();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>A row-major view without gaps: its elements are one contiguous run of the storage.</summary>
    private static bool IsWhole(TensorRef t) => t.Size.Aggregate(1L, (a, d) => a * d) == Extent(t) && IsRowMajor(t.Size, t.Stride);

    private static bool IsRowMajor(long[] size, long[] stride)
    {
        long expected = 1;
        for (int i = size.Length - 1; i >= 0; i--)
        {
            if (size[i] != 1 && stride[i] != expected) return false;
            expected *= size[i];
        }
        return true;
    }

    private static void Skip(Stream stream, long bytes, string path)
    {
        if (bytes == 0) return;
        if (stream.CanSeek)
        {
            stream.Seek(bytes, SeekOrigin.Current);
            return;
        }
        var buffer = new byte[1 << 16];
        while (bytes > 0)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, bytes));
            if (n == 0) throw new DnaInputException("file ends inside tensor data (truncated? fetch it again)", path);
            bytes -= n;
        }
    }

    /// <summary>torch ≥ 1.6: a zip archive; each storage is its own (stored, uncompressed) entry.</summary>
    private sealed class ZipPickle : ITensorFile
    {
        private readonly ZipArchive zip;
        private readonly string prefix;
        private readonly Dictionary<string, TensorRef> tensors;

        private ZipPickle(ZipArchive zip, string prefix, Dictionary<string, TensorRef> tensors, string path)
        {
            this.zip = zip;
            this.prefix = prefix;
            this.tensors = tensors;
            Path = path;
            Names = [.. tensors.Keys];
        }

        public string Path { get; }

        public IReadOnlyList<string> Names { get; }

        public static ZipPickle Open(string path)
        {
            ZipArchive zip;
            try
            {
                zip = ZipFile.OpenRead(path);
            }
            catch (InvalidDataException e)
            {
                throw new DnaInputException($"a zip-format torch.save file whose archive cannot be read ({e.Message}); truncated or damaged: fetch it again", path, byteOffset: 0);
            }
            try
            {
                var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
                    ?? throw new DnaInputException("zip has no data.pkl: not a torch.save file", path);
                string prefix = pkl.FullName[..^"data.pkl".Length];
                var order = zip.GetEntry(prefix + "byteorder");
                if (order is not null)
                {
                    using var r = new StreamReader(order.Open());
                    if (r.ReadToEnd().Trim() != "little") throw new DnaInputException("big-endian torch.save files are not supported", path);
                }
                object? root;
                using (var s = new BufferedStream(pkl.Open(), 1 << 16))
                    root = new Machine(s, pkl.Length, path, "data.pkl").Run();
                var tensors = Tensors(root, path);
                foreach (var (name, t) in tensors)
                {
                    var entry = zip.GetEntry(prefix + "data/" + t.Storage.Key) ?? throw new DnaInputException($"'{name}': storage data/{t.Storage.Key} is missing from the archive", path);
                    if (entry.Length < t.Storage.Numel * t.Storage.ElementSize)
                        throw new DnaInputException($"'{name}': storage data/{t.Storage.Key} holds {entry.Length} bytes, {t.Storage.Numel} × {t.Storage.ElementSize} needed (truncated?)", path);
                    CheckView(name, t, t.Storage.Numel, path);
                }
                return new ZipPickle(zip, prefix, tensors, path);
            }
            catch
            {
                zip.Dispose();
                throw;
            }
        }

        public TensorMeta Meta(string name) => new(tensors[name].Storage.Dtype, tensors[name].Size);

        public Tensor Read(string name)
        {
            var t = tensors[name];
            using var stream = zip.GetEntry(prefix + "data/" + t.Storage.Key)!.Open();
            return ReadView(stream, t, Path);
        }

        public bool TryReadInto(string name, Tensor destination)
        {
            var t = tensors[name];
            if (!IsWhole(t) || !Safetensors.Fits(destination, t.Storage.Dtype, Extent(t) * t.Storage.ElementSize)) return false;
            using var stream = zip.GetEntry(prefix + "data/" + t.Storage.Key)!.Open();
            Skip(stream, t.Offset * t.Storage.ElementSize, Path);
            Safetensors.ReadInto(stream, destination, Path);
            return true;
        }

        public void Dispose() => zip.Dispose();
    }

    /// <summary>torch &lt; 1.6 (and <c>_use_new_zipfile_serialization=False</c>): pickles, then the storages back to back.</summary>
    private sealed class LegacyPickle : ITensorFile
    {
        private readonly FileStream fs;
        private readonly Dictionary<string, TensorRef> tensors;
        private readonly Dictionary<string, long> dataStart;    // storage key → file offset of its first byte

        private LegacyPickle(FileStream fs, Dictionary<string, TensorRef> tensors, Dictionary<string, long> dataStart, string path)
        {
            this.fs = fs;
            this.tensors = tensors;
            this.dataStart = dataStart;
            Path = path;
            Names = [.. tensors.Keys];
        }

        public string Path { get; }

        public IReadOnlyList<string> Names { get; }

        public static LegacyPickle Open(string path)
        {
            var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
            try
            {
                long length = fs.Length;
                object? Next(string what) => new Machine(fs, length - fs.Position, path, what, fs.Position).Run();
                if (Next("magic number") is not BigInteger magic || magic != LegacyMagicNumber)
                    throw new DnaInputException("starts like a pickle but not with torch.save's magic number: not a torch.save file", path, byteOffset: 0);
                if (Next("protocol") is not long protocol || protocol != LegacyProtocol)
                    throw new DnaInputException($"legacy torch.save protocol is not {LegacyProtocol}", path);
                if (AsDict(Next("system info")) is { } info && info.TryGetValue("little_endian", out var little) && little is false)
                    throw new DnaInputException("big-endian torch.save files are not supported", path);
                var tensors = Tensors(Next("state dict"), path);
                if (Next("storage keys") is not List<object?> keys || keys.Any(k => k is not string))
                    throw new DnaInputException("legacy torch.save file has no list of storage keys after the state dict", path, byteOffset: fs.Position);

                var elementSize = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var t in tensors.Values) elementSize[t.Storage.Key] = t.Storage.ElementSize;
                var starts = new Dictionary<string, long>(StringComparer.Ordinal);
                Span<byte> count = stackalloc byte[8];
                foreach (string key in keys.Cast<string>())
                {
                    long at = fs.Position;
                    if (fs.Read(count) != 8) throw new DnaInputException($"file ends before storage {key} (truncated? fetch it again)", path, byteOffset: at);
                    long numel = BinaryPrimitives.ReadInt64LittleEndian(count);
                    // A storage no tensor uses (possible in principle) still has to be stepped over: its size is unknown then.
                    if (!elementSize.TryGetValue(key, out int size))
                        throw new DnaInputException($"storage {key} is listed but no tensor uses it; its element size is unknown", path, byteOffset: at);
                    if (numel < 0 || at + 8 + numel * size > length)
                        throw new DnaInputException($"storage {key} claims {numel} elements of {size} bytes, past the end of the file (truncated? fetch it again)", path, byteOffset: at);
                    starts[key] = at + 8;
                    fs.Position = at + 8 + numel * size;
                }
                foreach (var (name, t) in tensors)
                {
                    if (!starts.ContainsKey(t.Storage.Key)) throw new DnaInputException($"'{name}': storage {t.Storage.Key} is not in the file's storage list", path);
                    CheckView(name, t, t.Storage.Numel, path);
                }
                return new LegacyPickle(fs, tensors, starts, path);
            }
            catch
            {
                fs.Dispose();
                throw;
            }
        }

        public TensorMeta Meta(string name) => new(tensors[name].Storage.Dtype, tensors[name].Size);

        public Tensor Read(string name)
        {
            var t = tensors[name];
            fs.Position = dataStart[t.Storage.Key];
            return ReadView(fs, t, Path);
        }

        public bool TryReadInto(string name, Tensor destination)
        {
            var t = tensors[name];
            if (!IsWhole(t) || !Safetensors.Fits(destination, t.Storage.Dtype, Extent(t) * t.Storage.ElementSize)) return false;
            fs.Position = dataStart[t.Storage.Key] + t.Offset * t.Storage.ElementSize;
            Safetensors.ReadInto(fs, destination, Path);
            return true;
        }

        public void Dispose() => fs.Dispose();
    }

    /// <summary>
    /// A pickle virtual machine for protocols 2–5, limited to the opcodes torch.save emits and their kin. GLOBAL
    /// resolves only names on <see cref="AllowedGlobals"/>; REDUCE only rebuilds what those names mean.
    /// </summary>
    private sealed class Machine(Stream code, long length, string path, string part, long baseOffset = 0)
    {
        private readonly List<object?> stack = [];
        private readonly Stack<int> marks = new();
        private readonly Dictionary<long, object?> memo = [];
        private long pos;

        // Names, storage keys and dtype strings are short; this bounds what a hostile length field can make us allocate.
        private const int MaxObjectBytes = 1 << 26;

        public object? Run()
        {
            while (true)
            {
                long at = pos;
                byte op = Byte();
                switch (op)
                {
                    case 0x80: Byte(); break;                                           // PROTO
                    case 0x95: Take(8); break;                                          // FRAME
                    case (byte)'.': return Pop();                                       // STOP
                    case (byte)'}': Push(new Dictionary<object, object?>()); break;     // EMPTY_DICT
                    case (byte)']': Push(new List<object?>()); break;                   // EMPTY_LIST
                    case (byte)')': Push(Array.Empty<object?>()); break;                // EMPTY_TUPLE
                    case 0x8f: Push(new List<object?>()); break;                        // EMPTY_SET (as a list)
                    case (byte)'(': marks.Push(stack.Count); break;                     // MARK
                    case (byte)'N': Push(null); break;
                    case 0x88: Push(true); break;
                    case 0x89: Push(false); break;
                    case (byte)'K': Push((long)Byte()); break;                          // BININT1
                    case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                    case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                    case 0x8a: Push(ReadLong(Byte())); break;                           // LONG1
                    case 0x8b: Push(ReadLong(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                    case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                    case (byte)'X': Push(Encoding.UTF8.GetString(Take(Length32()))); break;
                    case 0x8c: Push(Encoding.UTF8.GetString(Take(Byte()))); break;      // SHORT_BINUNICODE
                    case (byte)'U': Push(Encoding.Latin1.GetString(Take(Byte()))); break;
                    case (byte)'T': Push(Encoding.Latin1.GetString(Take(Length32()))); break;
                    case (byte)'C': Push(Take(Byte())); break;                          // SHORT_BINBYTES
                    case (byte)'B': Push(Take(Length32())); break;
                    case (byte)'q': memo[Byte()] = Peek(); break;                       // BINPUT
                    case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                    case 0x94: memo[memo.Count] = Peek(); break;                        // MEMOIZE
                    case (byte)'h': Push(Memo(Byte())); break;                          // BINGET
                    case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                    case (byte)'c': Push(Resolve(ReadLine(), ReadLine(), at)); break;   // GLOBAL
                    case 0x93:                                                          // STACK_GLOBAL
                    {
                        var name = Pop() as string;
                        var module = Pop() as string;
                        if (name is null || module is null) throw Fail("STACK_GLOBAL without a module and a name", at);
                        Push(Resolve(module, name, at));
                        break;
                    }
                    case (byte)'t': Push(PopMark().ToArray()); break;                   // TUPLE
                    case 0x85: Push(new[] { Pop() }); break;
                    case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                    case (byte)'l': Push(PopMark()); break;                             // LIST
                    case (byte)'d': Push(ToDict(PopMark(), at)); break;                 // DICT
                    case (byte)'a': { var v = Pop(); AsList(Peek(), at).Add(v); break; }     // APPEND
                    case (byte)'e': case 0x90: { var items = PopMark(); AsList(Peek(), at).AddRange(items); break; }   // APPENDS, ADDITEMS
                    case (byte)'s': { var v = Pop(); var k = Key(Pop(), at); Dict(Peek(), at)[k] = v; break; }   // SETITEM
                    case (byte)'u':                                                     // SETITEMS
                    {
                        var items = PopMark();
                        var d = Dict(Peek(), at);
                        for (int i = 0; i + 1 < items.Count; i += 2) d[Key(items[i], at)] = items[i + 1];
                        break;
                    }
                    case (byte)'Q': Push(PersistentLoad(Pop(), at)); break;             // BINPERSID
                    case (byte)'R': { var args = Pop(); Push(Reduce(Pop(), args, at)); break; }   // REDUCE
                    case 0x81: { var args = Pop(); Push(Reduce(Pop(), args, at)); break; }   // NEWOBJ
                    case (byte)'b': Pop(); break;                                        // BUILD: object state (e.g. _metadata) is not needed
                    case 0x91: Push(PopMark()); break;                                   // FROZENSET
                    case (byte)'0': Pop(); break;                                        // POP
                    case (byte)'1': PopMark(); break;                                    // POP_MARK
                    case (byte)'2': Push(Peek()); break;                                 // DUP
                    default:
                        throw Fail($"unsupported pickle opcode 0x{op:x2}", at);
                }
            }
        }

        /// <summary>GLOBAL: the allow-list is checked here, before anything could be called.</summary>
        private Global Resolve(string module, string name, long at)
        {
            // Protocol-2 pickles spell some Python 3 modules as Python 2 did; Python's unpickler maps them back.
            module = module switch { "__builtin__" => "builtins", "copy_reg" => "copyreg", _ => module };
            var g = new Global(module, name);
            if (!AllowedGlobals.Contains(g.ToString()))
                throw Fail($"global '{g}' is not allowed in a weights file (only tensors, storages and dicts are rebuilt; the pickle is never executed); refusing to read it", at);
            return g;
        }

        private object? PersistentLoad(object? pid, long at)
        {
            // zip: ('storage', type, key, location, numel); legacy: the same plus view metadata (None for whole storages).
            if (pid is not object?[] { Length: 5 or 6 } t || t[0] is not "storage" || t[1] is not Global g || t[2] is not string key || t[4] is not long numel)
                throw Fail("persistent id is not a torch storage reference", at);
            if (t.Length == 6 && t[5] is not null)
                throw Fail("storage views of other storages (pre-1.0 torch.save) are not supported", at);
            if (!Storages.TryGetValue(g.Name, out var info))
                throw Fail($"storage type {g} is not supported", at);
            return new StorageRef(info.Item1, info.Item2, key, numel);
        }

        private object? Reduce(object? callable, object? args, long at)
        {
            var a = args as object?[] ?? [];
            return callable switch
            {
                Global { Module: "collections", Name: "OrderedDict" } => new Dictionary<object, object?>(),
                Global { Module: "torch._utils", Name: "_rebuild_tensor_v2" or "_rebuild_tensor" } when a.Length >= 4 && a[0] is StorageRef s && a[1] is long offset =>
                    new TensorRef(s, offset, Longs(a[2], at), Longs(a[3], at)),
                Global { Module: "torch._utils", Name: "_rebuild_parameter" or "_rebuild_parameter_with_state" } when a.Length >= 1 && a[0] is TensorRef t => t,
                Global { Module: "_codecs", Name: "encode" } when a.Length >= 1 && a[0] is string text => Encoding.Latin1.GetBytes(text),
                Global g => throw Fail($"'{g}' called with arguments it does not take in a state dict", at),
                _ => throw Fail("REDUCE on something that is not a global", at),
            };
        }

        private long[] Longs(object? o, long at) =>
            o is object?[] items && items.All(i => i is long) ? items.Select(i => (long)i!).ToArray() : throw Fail("expected a tuple of ints", at);

        private object Key(object? k, long at) => k ?? throw Fail("dict key is None", at);

        private Dictionary<object, object?> ToDict(List<object?> items, long at)
        {
            var d = new Dictionary<object, object?>();
            for (int i = 0; i + 1 < items.Count; i += 2) d[Key(items[i], at)] = items[i + 1];
            return d;
        }

        private Dictionary<object, object?> Dict(object? o, long at) => o as Dictionary<object, object?> ?? throw Fail("SETITEM on a non-dict", at);

        private List<object?> AsList(object? o, long at) => o as List<object?> ?? throw Fail("APPEND on a non-list", at);

        private object ReadLong(int n)
        {
            var bytes = Take(n);
            return n switch
            {
                0 => 0L,
                <= 8 => (long)new BigInteger(bytes, isUnsigned: false, isBigEndian: false),
                _ => new BigInteger(bytes, isUnsigned: false, isBigEndian: false),
            };
        }

        private int Length32()
        {
            uint n = BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
            return n > length - pos ? throw Fail($"a length of {n} bytes runs past the end of the pickle (truncated?)") : (int)n;
        }

        private string ReadLine()
        {
            var sb = new StringBuilder();
            while (true)
            {
                byte b = Byte();
                if (b == (byte)'\n') return sb.ToString();
                if (sb.Length > 1024) throw Fail("GLOBAL name longer than 1024 characters");
                sb.Append((char)b);
            }
        }

        private byte Byte()
        {
            if (pos >= length) throw Fail("pickle ends without STOP (truncated?)");
            int b = code.ReadByte();
            if (b < 0) throw Fail("pickle ends without STOP (truncated?)");
            pos++;
            return (byte)b;
        }

        private byte[] Take(int n)
        {
            if (n < 0 || n > length - pos) throw Fail("pickle is truncated");
            if (n > MaxObjectBytes) throw Fail($"a string or bytes object of {n} bytes is not something a state dict holds");
            var buffer = new byte[n];
            if (code.ReadAtLeast(buffer, n, throwOnEndOfStream: false) != n) throw Fail("pickle is truncated");
            pos += n;
            return buffer;
        }

        private object? Memo(long key) => memo.TryGetValue(key, out var v) ? v : throw Fail($"memo key {key} was never stored");

        private void Push(object? o) => stack.Add(o);

        private object? Peek() => stack.Count > 0 ? stack[^1] : throw Fail("stack underflow");

        private object? Pop()
        {
            var o = Peek();
            stack.RemoveAt(stack.Count - 1);
            return o;
        }

        private List<object?> PopMark()
        {
            if (marks.Count == 0) throw Fail("no MARK on the stack");
            int m = marks.Pop();
            if (m > stack.Count) throw Fail("MARK above the stack top");
            var items = stack.GetRange(m, stack.Count - m);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }

        private DnaInputException Fail(string message, long? at = null) =>
            new($"{part}: {message} (pickle byte {at ?? pos})", path, byteOffset: baseOffset + (at ?? pos));
    }
}
