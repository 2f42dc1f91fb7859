using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DnaFoundation.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace DnaFoundation.Model.Checkpoints;

/// <summary>
/// Reads the state dict of a PyTorch <c>torch.save</c> file (the zip format of torch ≥ 1.6: <c>*/data.pkl</c> plus one
/// raw little-endian buffer per storage under <c>*/data/&lt;key&gt;</c>). The pickle is interpreted, never executed:
/// only the globals a state dict needs are understood (<c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>_rebuild_parameter</c>, <c>torch.*Storage</c>); anything else stays an
/// inert placeholder, and a tensor position holding one is an error.
/// </summary>
public static class PyTorchPickle
{
    private sealed record StorageRef(ScalarType Dtype, int ElementSize, string Key, long Numel);

    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    private sealed record Global(string Module, string Name);

    /// <summary>An object built from a global we do not interpret (kept so the stream still parses).</summary>
    private sealed record Opaque(Global Type);

    private static readonly Dictionary<string, (ScalarType, int)> StorageTypes = new()
    {
        ["FloatStorage"] = (ScalarType.Float32, 4), ["DoubleStorage"] = (ScalarType.Float64, 8), ["HalfStorage"] = (ScalarType.Float16, 2),
        ["BFloat16Storage"] = (ScalarType.BFloat16, 2), ["LongStorage"] = (ScalarType.Int64, 8), ["IntStorage"] = (ScalarType.Int32, 4),
        ["ShortStorage"] = (ScalarType.Int16, 2), ["CharStorage"] = (ScalarType.Int8, 1), ["ByteStorage"] = (ScalarType.Byte, 1),
        ["BoolStorage"] = (ScalarType.Bool, 1),
    };

    /// <summary>
    /// The tensors of the file by name (CPU, contiguous copies; tensors that shared storage no longer do). A dict
    /// nested under <c>state_dict</c> or <c>model</c> (Lightning and training-loop checkpoints) is unwrapped.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        if (!File.Exists(path)) throw new DnaInputException("file not found", path);
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw new DnaInputException("not a zip-format torch.save file (files written by torch < 1.6 use the legacy format: re-save them with a current torch)", path, byteOffset: 0);
        }
        using var _ = zip;
        var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
            ?? throw new DnaInputException("zip has no data.pkl: not a torch.save file", path);
        string prefix = pkl.FullName[..^"data.pkl".Length];
        var order = zip.GetEntry(prefix + "byteorder");
        if (order is not null)
        {
            using var r = new StreamReader(order.Open());
            if (r.ReadToEnd().Trim() != "little") throw new DnaInputException("big-endian torch.save files are not supported", path);
        }
        byte[] program;
        using (var s = pkl.Open())
        using (var ms = new MemoryStream())
        {
            s.CopyTo(ms);
            program = ms.ToArray();
        }
        var root = new Machine(program, path).Run();
        var dict = AsDict(root) ?? throw new DnaInputException("the pickle does not hold a dict of tensors", path);
        foreach (var wrapper in new[] { "state_dict", "model" })
            if (dict.TryGetValue(wrapper, out var inner) && AsDict(inner) is { } nested) dict = nested;

        var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, value) in dict)
            {
                if (key is not string name) throw new DnaInputException($"state dict key {key} is not a string", path);
                if (value is not TensorRef t)
                {
                    if (value is Opaque or Global) throw new DnaInputException($"'{name}' is a {Describe(value)}, not a tensor", path);
                    continue;                                           // plain values (epoch counters, …) are not weights
                }
                if (!storages.TryGetValue(t.Storage.Key, out var storage))
                {
                    storage = ReadStorage(zip, prefix, t.Storage, path);
                    storages[t.Storage.Key] = storage;
                }
                long extent = t.Size.Length == 0 ? 1 : t.Size.Zip(t.Stride).Sum(p => p.First == 0 ? 0 : (p.First - 1) * p.Second) + 1;
                if (t.Size.Any(d => d == 0)) extent = 0;
                if (t.Offset < 0 || t.Offset + extent > storage.numel())
                    throw new DnaInputException($"'{name}': view [{string.Join(", ", t.Size)}] at offset {t.Offset} runs past its storage of {storage.numel()} elements", path);
                result[name] = storage.as_strided(t.Size, t.Stride, t.Offset).clone();
            }
        }
        finally
        {
            foreach (var s in storages.Values) s.Dispose();
        }
        return result;
    }

    private static Tensor ReadStorage(ZipArchive zip, string prefix, StorageRef s, string path)
    {
        var entry = zip.GetEntry(prefix + "data/" + s.Key) ?? throw new DnaInputException($"storage data/{s.Key} is missing from the archive", path);
        long bytes = s.Numel * s.ElementSize;
        if (entry.Length < bytes)
            throw new DnaInputException($"storage data/{s.Key} holds {entry.Length} bytes, {s.Numel} × {s.ElementSize} needed (truncated?)", path);
        var buffer = new byte[bytes];
        using (var stream = entry.Open()) stream.ReadExactly(buffer);
        var t = empty([s.Numel], s.Dtype);
        if (bytes > 0) buffer.AsSpan().CopyTo(t.bytes);
        return t;
    }

    private static Dictionary<object, object?>? AsDict(object? o) => o as Dictionary<object, object?>;

    private static string Describe(object? o) => o switch
    {
        Opaque op => $"{op.Type.Module}.{op.Type.Name} object",
        Global g => $"{g.Module}.{g.Name}",
        _ => o?.GetType().Name ?? "None",
    };

    /// <summary>A pickle virtual machine for protocols 2–5, limited to the opcodes torch.save emits and their kin.</summary>
    private sealed class Machine(byte[] code, string path)
    {
        private readonly List<object?> stack = [];
        private readonly Stack<int> marks = new();
        private readonly Dictionary<long, object?> memo = [];
        private int pos;

        public object? Run()
        {
            while (true)
            {
                if (pos >= code.Length) throw Fail("pickle ends without STOP");
                int at = pos;
                byte op = code[pos++];
                switch (op)
                {
                    case 0x80: pos++; break;                                            // PROTO
                    case 0x95: pos += 8; break;                                         // FRAME
                    case (byte)'.': return Pop();                                       // STOP
                    case (byte)'}': Push(new Dictionary<object, object?>()); break;     // EMPTY_DICT
                    case (byte)']': Push(new List<object?>()); break;                   // EMPTY_LIST
                    case (byte)')': Push(Array.Empty<object?>()); break;                // EMPTY_TUPLE
                    case 0x8f: Push(new List<object?>()); break;                        // EMPTY_SET (as a list)
                    case (byte)'(': marks.Push(stack.Count); break;                     // MARK
                    case (byte)'N': Push(null); break;
                    case 0x88: Push(true); break;
                    case 0x89: Push(false); break;
                    case (byte)'K': Push((long)code[pos++]); break;                     // BININT1
                    case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                    case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                    case 0x8a: Push(ReadLong(code[pos++])); break;                      // LONG1
                    case 0x8b: Push(ReadLong(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                    case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                    case (byte)'X': Push(Encoding.UTF8.GetString(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                    case 0x8c: Push(Encoding.UTF8.GetString(Take(code[pos++]))); break;  // SHORT_BINUNICODE
                    case (byte)'U': Push(Encoding.Latin1.GetString(Take(code[pos++]))); break;
                    case (byte)'T': Push(Encoding.Latin1.GetString(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                    case (byte)'C': Push(Take(code[pos++]).ToArray()); break;           // SHORT_BINBYTES
                    case (byte)'B': Push(Take(checked((int)BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break;
                    case (byte)'q': memo[code[pos++]] = Peek(); break;                  // BINPUT
                    case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek(); break;
                    case 0x94: memo[memo.Count] = Peek(); break;                        // MEMOIZE
                    case (byte)'h': Push(Memo(code[pos++])); break;                     // BINGET
                    case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                    case (byte)'c': Push(new Global(ReadLine(), ReadLine())); break;    // GLOBAL
                    case 0x93:                                                          // STACK_GLOBAL
                    {
                        var name = (string)Pop()!;
                        Push(new Global((string)Pop()!, name));
                        break;
                    }
                    case (byte)'t': Push(PopMark().ToArray()); break;                   // TUPLE
                    case 0x85: Push(new[] { Pop() }); break;
                    case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                    case (byte)'l': Push(PopMark()); break;                             // LIST
                    case (byte)'d': Push(ToDict(PopMark())); break;                     // DICT
                    case (byte)'a': { var v = Pop(); AsList(Peek()).Add(v); break; }     // APPEND
                    case (byte)'e': case 0x90: { var items = PopMark(); AsList(Peek()).AddRange(items); break; }   // APPENDS, ADDITEMS
                    case (byte)'s': { var v = Pop(); var k = Pop()!; Dict(Peek())[k] = v; break; }   // SETITEM
                    case (byte)'u':                                                     // SETITEMS
                    {
                        var items = PopMark();
                        var d = Dict(Peek());
                        for (int i = 0; i + 1 < items.Count; i += 2) d[items[i]!] = items[i + 1];
                        break;
                    }
                    case (byte)'Q': Push(PersistentLoad(Pop())); break;                 // BINPERSID
                    case (byte)'R': { var args = Pop(); Push(Reduce(Pop(), args)); break; }   // REDUCE
                    case 0x81: { var args = Pop(); Push(Reduce(Pop(), args)); break; }   // NEWOBJ
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

        private object? PersistentLoad(object? pid)
        {
            if (pid is not object?[] { Length: 5 } t || t[0] is not "storage" || t[1] is not Global g || t[2] is not string key || t[4] is not long numel)
                throw Fail("persistent id is not a torch storage reference");
            if (!StorageTypes.TryGetValue(g.Name, out var info))
                throw Fail($"storage type {g.Module}.{g.Name} is not supported");
            return new StorageRef(info.Item1, info.Item2, key, numel);
        }

        private object? Reduce(object? callable, object? args)
        {
            var a = args as object?[] ?? [];
            return callable switch
            {
                Global { Module: "collections", Name: "OrderedDict" } => new Dictionary<object, object?>(),
                Global { Module: "torch._utils", Name: "_rebuild_tensor_v2" or "_rebuild_tensor" } when a.Length >= 4 && a[0] is StorageRef s =>
                    new TensorRef(s, (long)a[1]!, Longs(a[2]), Longs(a[3])),
                Global { Module: "torch._utils", Name: "_rebuild_parameter" or "_rebuild_parameter_with_state" } when a.Length >= 1 && a[0] is TensorRef t => t,
                Global g => new Opaque(g),
                _ => throw Fail("REDUCE on something that is not a global"),
            };
        }

        private static long[] Longs(object? o) => o is object?[] items ? items.Select(i => (long)i!).ToArray() : throw new InvalidCastException("expected a tuple of ints");

        private static Dictionary<object, object?> ToDict(List<object?> items)
        {
            var d = new Dictionary<object, object?>();
            for (int i = 0; i + 1 < items.Count; i += 2) d[items[i]!] = items[i + 1];
            return d;
        }

        private Dictionary<object, object?> Dict(object? o) => o as Dictionary<object, object?> ?? (o is Opaque ? [] : throw Fail("SETITEM on a non-dict"));

        private List<object?> AsList(object? o) => o as List<object?> ?? throw Fail("APPEND on a non-list");

        private object ReadLong(int n)
        {
            var bytes = Take(n);
            return n switch
            {
                0 => 0L,
                <= 8 => BitConverter.IsLittleEndian && n == 8 ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : (long)new System.Numerics.BigInteger(bytes, isUnsigned: false, isBigEndian: false),
                _ => new System.Numerics.BigInteger(bytes, isUnsigned: false, isBigEndian: false),
            };
        }

        private string ReadLine()
        {
            int end = Array.IndexOf(code, (byte)'\n', pos);
            if (end < 0) throw Fail("unterminated GLOBAL");
            var s = Encoding.ASCII.GetString(code, pos, end - pos);
            pos = end + 1;
            return s;
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n < 0 || pos + n > code.Length) throw Fail("pickle is truncated");
            var span = code.AsSpan(pos, n);
            pos += n;
            return span;
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
            var items = stack.GetRange(m, stack.Count - m);
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }

        private DnaInputException Fail(string message, int? at = null) =>
            new($"data.pkl: {message} (pickle byte {at ?? pos})", path);
    }
}
