using System.Runtime.InteropServices;

namespace DnaFoundation.Model.Runtime;

/// <summary>
/// The dynamic linker's functions (glibc <c>dlopen</c>, <c>dlsym</c>, <c>dladdr</c>) for <see cref="BlasProvider"/>:
/// loading a BLAS with global symbol binding, finding a function in one library, and asking which library the
/// process-wide lookup of a symbol lands in; and the C library's own environment, which native libraries read at
/// load (.NET keeps a copy of its own on Linux). Linux only; every call answers "not there" elsewhere.
/// </summary>
internal static class NativeSymbols
{
    public const int Lazy = 0x1, Now = 0x2, NoLoad = 0x4, Global = 0x100;

    public static bool Supported => RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>A handle to <paramref name="path"/> loaded with <paramref name="flags"/>, or zero (with the loader's message).</summary>
    public static IntPtr Open(string path, int flags, out string? error)
    {
        error = null;
        if (!Supported) return IntPtr.Zero;
        try
        {
            var handle = dlopen(path, flags);
            if (handle == IntPtr.Zero) error = Marshal.PtrToStringAnsi(dlerror());
            return handle;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            error = e.Message;
            return IntPtr.Zero;
        }
    }

    /// <summary>The address of <paramref name="symbol"/> in <paramref name="handle"/> (zero = the process-wide lookup), or zero.</summary>
    public static IntPtr Find(IntPtr handle, string symbol)
    {
        if (!Supported) return IntPtr.Zero;
        try
        {
            return dlsym(handle, symbol);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return IntPtr.Zero;
        }
    }

    /// <summary>The file of the loaded library that holds <paramref name="address"/>, or null.</summary>
    public static string? LibraryOf(IntPtr address)
    {
        if (!Supported || address == IntPtr.Zero) return null;
        try
        {
            return dladdr(address, out var info) != 0 ? Marshal.PtrToStringAnsi(info.FileName) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Sets <paramref name="name"/> in the C library's environment unless it is set already (there or in the process's
    /// start environment), for a native library loaded afterwards; child processes started by .NET do not see it.
    /// </summary>
    public static void SetEnvironmentDefault(string name, string value)
    {
        if (!Supported || Environment.GetEnvironmentVariable(name) is not null) return;
        try
        {
            _ = setenv(name, value, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    /// <summary>
    /// Calls a C++ function of the form <c>std::string f()</c> (libstdc++'s C++11 ABI on x86-64: the result is
    /// constructed in a 32-byte buffer the caller passes as a hidden first argument) and returns its text. The
    /// string's own heap block is not freed (this is for a few diagnostic calls per process).
    /// </summary>
    public static string? CallStringFunction(IntPtr function)
    {
        if (function == IntPtr.Zero) return null;
        var buffer = Marshal.AllocHGlobal(32);
        try
        {
            Marshal.GetDelegateForFunctionPointer<StringReturning>(function)(buffer);
            var text = Marshal.ReadIntPtr(buffer);
            long length = Marshal.ReadInt64(buffer, 8);
            return length is >= 0 and < 1 << 20 ? Marshal.PtrToStringUTF8(text, (int)length) : null;
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr StringReturning(IntPtr result);

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public IntPtr FileName, FileBase, SymbolName, SymbolAddress;
    }

    // libdl.so.2 exists on every glibc (a stub that forwards to libc from 2.34 on); musl has none, which Supported callers catch.
    [DllImport("libdl.so.2")]
    private static extern IntPtr dlopen(string file, int flags);

    [DllImport("libdl.so.2")]
    private static extern IntPtr dlsym(IntPtr handle, string symbol);

    [DllImport("libdl.so.2")]
    private static extern IntPtr dlerror();

    [DllImport("libdl.so.2")]
    private static extern int dladdr(IntPtr address, out DlInfo info);

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);
}
